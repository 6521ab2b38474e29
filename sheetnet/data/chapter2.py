"""The book's chapter-2 examples, as numbers.

Section 2-12 (regression analysis): seven students' heights x (cm) and weights y (kg); the model
y = p·x + q is fitted by least squares (the book prints y = 0.41x − 12.06).
Section 2-11 (gradient descent): z = x² + y² from the point (3, 2) with the learning rate η = 0.1.
"""

HEIGHTS = (153.3, 164.9, 168.1, 151.5, 157.8, 156.7, 161.1)  # x, cm
WEIGHTS = (45.5, 56.0, 55.0, 52.8, 55.6, 50.8, 56.4)  # y, kg

REGRESSION_START = (0.0, 0.0)  # (p, q) before any fitting: the line y = 0

DESCENT_START = (3.0, 2.0)  # (x, y)
DESCENT_ETA = 0.1
