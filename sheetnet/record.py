"""Records: classes of named fields, as the dataclass decorator makes them, without its generated code.

dataclasses writes each class's __init__, __eq__, __hash__, __repr__ (a frozen class's __setattr__
and __delattr__ too) as source text and compiles it while the module is imported: 0.5–1.5 ms a class,
and a one-workbook check defines some 40 — about a tenth of its whole run. A record's methods are
the same few functions for every class, reading the class's field list; they behave as the
dataclass's do: fields in annotation order, defaults and default_factory, __post_init__, equality
between instances of the same class, a frozen class hashable by its fields and refusing assignment,
repr 'Name(a=1, b=2)'; `replace` copies one with some fields changed (dataclasses.replace, for records
and dataclasses alike). Not kept: dataclasses.fields / asdict, InitVar, ClassVar, keyword-only fields,
slots — none of which a record uses.
"""

from __future__ import annotations

from itertools import repeat
from operator import attrgetter

__all__ = ["record", "field", "replace", "records", "FrozenInstanceError"]

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record (as dataclasses.FrozenInstanceError)."""


class Field:
    """A field's options, as dataclasses.field takes them."""

    __slots__ = ("default", "default_factory", "repr", "compare")

    def __init__(self, default, default_factory, repr, compare):
        self.default, self.default_factory, self.repr, self.compare = default, default_factory, repr, compare


def field(*, default=_MISSING, default_factory=_MISSING, repr: bool = True, compare: bool = True) -> Field:
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, repr, compare)


def record(cls=None, /, *, frozen: bool = False, eq: bool = True):
    """@record or @record(frozen=True): the class's annotated names are its fields."""
    def wrap(cls):
        return _make(cls, frozen, eq)
    return wrap if cls is None else wrap(cls)


def replace(obj, /, **changes):
    """A copy of the record (or dataclass) `obj` with `changes` made, as dataclasses.replace makes it."""
    cls = type(obj)
    names = getattr(cls, "__record_fields__", None)
    if names is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)
    values = {name: getattr(obj, name) for name in names}
    values.update(changes)
    if len(values) != len(names):
        unknown = sorted(set(changes) - set(names))[0]
        raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {unknown!r}")
    if cls.__init__ is not cls.__record_init__:  # an __init__ of the class's own: through it
        return cls(**values)
    new = cls.__new__(cls)  # what the record's __init__ would do with these values, without matching them again
    new.__dict__.update(values)
    if hasattr(cls, "__post_init__"):
        new.__post_init__()
    return new


def records(cls, **columns) -> list:
    """cls(**row) for each row of the columns: each keyword a field's values, one per record (a field not
    given takes its default; one column at least has a length: the records' number), made without a call
    of __init__ each (a check's tens of thousands of findings: a fifth of their making)."""
    names = cls.__record_fields__
    unknown = set(columns).difference(names)
    if unknown:
        raise TypeError(f"{cls.__qualname__} has no field {sorted(unknown)[0]!r}")
    if not any(hasattr(c, "__len__") for c in columns.values()):
        raise TypeError(f"records({cls.__qualname__}): no column says how many")
    defaults, factories = cls.__record_defaults__, cls.__record_factories__
    ordered = []  # every field's column, in the fields' order
    for name in names:
        if name in columns:
            ordered.append(columns[name])
        elif name in defaults:
            ordered.append(repeat(defaults[name]))
        elif factories.get(name) is not None:
            ordered.append(iter(factories[name], _MISSING))  # (a new value for each record)
        else:
            raise TypeError(f"{cls.__qualname__}: no values given for {name!r}")
    rows = zip(*ordered)
    if cls.__init__ is not cls.__record_init__ or hasattr(cls, "__post_init__"):
        return [cls(*row) for row in rows]
    new, out = cls.__new__, []
    append = out.append
    for row in rows:
        obj = new(cls)
        obj.__dict__.update(zip(names, row))
        append(obj)
    return out


def _make(cls, frozen: bool, eq: bool):
    names, defaults, factories, shown, compared = [], {}, {}, [], []
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, _MISSING)
        shown_, compared_ = True, True
        if isinstance(value, Field):
            shown_, compared_ = value.repr, value.compare
            if value.default_factory is not _MISSING:
                factories[name] = value.default_factory
            value = value.default
            if value is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value)
        if value is not _MISSING:
            defaults[name] = value
        elif factories.get(name) is None and (defaults or factories):
            raise TypeError(f"non-default argument {name!r} follows default argument")
        names.append(name)
        if shown_:
            shown.append(name)
        if compared_:
            compared.append(name)
    cls.__record_fields__ = tuple(names)
    cls.__record_defaults__, cls.__record_factories__ = defaults, factories
    cls.__record_init__ = _init(cls, tuple(names), defaults, factories, hasattr(cls, "__post_init__"))
    _set(cls, "__init__", cls.__record_init__)
    _set(cls, "__repr__", _repr(tuple(shown)))
    if eq:
        _set(cls, "__eq__", _eq(tuple(compared)))
        class_hash = cls.__dict__.get("__hash__", _MISSING)
        explicit = not (class_hash is _MISSING or (class_hash is None and "__eq__" in cls.__dict__))
        if not explicit:  # dataclasses' rule: a frozen class is hashed by its fields, a mutable one is unhashable
            cls.__hash__ = _hash(tuple(compared)) if frozen else None
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in cls.__dict__:
                raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
        cls.__setattr__, cls.__delattr__ = _frozen(cls, frozenset(names))
    return cls


def _set(cls, name: str, method) -> None:
    if name not in cls.__dict__:  # a method the class writes itself is kept, as dataclasses keeps it
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)


def _init(cls, names: tuple, defaults: dict, factories: dict, post_init: bool):
    n = len(names)
    known = frozenset(names)

    def __init__(self, *args, **kwargs):
        if len(args) == n and not kwargs:  # every field given in order: the common case, made short
            self.__dict__.update(zip(names, args))
            if post_init:
                self.__post_init__()
            return
        if len(args) > n:
            raise TypeError(f"{cls.__qualname__}.__init__() takes {n + 1} positional arguments "
                            f"but {len(args) + 1} were given")
        d = self.__dict__  # written directly: a frozen record's __setattr__ refuses, as a dataclass's does
        d.update(zip(names, args))
        if kwargs:
            for name in kwargs:
                if name not in known:
                    raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}")
                if name in d:  # (d holds the positional arguments only)
                    raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}")
        for name in names[len(args):]:
            value = kwargs.get(name, _MISSING)
            if value is _MISSING:
                value = defaults.get(name, _MISSING)
                if value is _MISSING:
                    factory = factories.get(name)
                    if factory is None:
                        raise TypeError(f"{cls.__qualname__}.__init__() missing required argument: {name!r}")
                    value = factory()
            d[name] = value
        if post_init:
            self.__post_init__()
    return __init__


def _repr(shown: tuple):
    def __repr__(self):
        return f"{type(self).__qualname__}(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in shown) + ")"
    return __repr__


def _values(names: tuple):
    """obj → the tuple of its fields `names` (compared as a dataclass compares them: as one tuple)."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _eq(compared: tuple):
    values = _values(compared)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented
    return __eq__


def _hash(compared: tuple):
    values = _values(compared)

    def __hash__(self):
        return hash(values(self))
    return __hash__


def _frozen(cls, names: frozenset):
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return __setattr__, __delattr__
