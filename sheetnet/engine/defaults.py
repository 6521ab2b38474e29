"""Gradient descent's defaults for each network, η and the number of updates, in one place that imports
nothing: the engine's functions take them as defaults, the kinds (sheetnet/mirror/kinds.py) as their
training's, and `sheetnet train --help` prints them without loading NumPy and the engine."""

# The 12-3-2 network: η 0.2 × 50 updates, the book's chapter-4 run.
GD_ETA = 0.2
GD_ITERATIONS = 50

# The chapter-5 CNN: the book's η (chapter5.json "eta"). From cnn_initial, C_T falls steadily after
# 4 updates and is below 12.5445/100 from the 204th on; 300 updates give C_T ≈ 0.083 (96/96,
# weights ≤ ≈ 6.2) in ≈ 0.2 s. A larger η buys little and is less regular: 0.3–0.7 need 40–125
# updates with more rises of C_T on the way, and with 0.8 C_T is still ≈ 16 after 200 updates.
CNN_GD_ETA = 0.2
CNN_GD_ITERATIONS = 300

# Chapter 2's regression line, on E with heights in cm: ∂²E/∂p² = Σx² ≈ 1.8·10⁵, so η must stay below
# 2/1.8·10⁵ ≈ 1.1·10⁻⁵; along the other axis of the valley the curvature is 0.0086, 2·10⁷ times less. From
# p = q = 0, 1,000 updates with η = 10⁻⁵ fit the slope at once (E 9,936 → 28.48, p = 0.334) and leave q at
# 0.001: the minimum (E = 27.86, q = −12.06) is out of gradient descent's reach — the book's reason for the
# closed form.
REGRESSION_GD_ETA = 1e-5
REGRESSION_GD_ITERATIONS = 1000
