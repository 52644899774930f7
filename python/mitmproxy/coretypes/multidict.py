"""mitmproxy.coretypes.multidict: MultiDict (ordered fields, keys may
repeat) and MultiDictView (the same over a getter and a setter, so a
request's query, cookies and forms are live views of the C message)."""
from collections.abc import MutableMapping


class _MultiDict(MutableMapping):
    fields = ()

    def __repr__(self):
        fields = (repr(field) for field in self.fields)
        return "{cls}[{fields}]".format(cls=type(self).__name__, fields=", ".join(fields))

    @staticmethod
    def _reduce_values(values):
        return values[0]

    @staticmethod
    def _kconv(key):
        return key

    def __getitem__(self, key):
        values = self.get_all(key)
        if not values:
            raise KeyError(key)
        return self._reduce_values(values)

    def __setitem__(self, key, value):
        self.set_all(key, [value])

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        key = self._kconv(key)
        self.fields = tuple(field for field in self.fields if key != self._kconv(field[0]))

    def __iter__(self):
        seen = set()
        for key, _ in self.fields:
            key_kconv = self._kconv(key)
            if key_kconv not in seen:
                seen.add(key_kconv)
                yield key

    def __len__(self):
        return len({self._kconv(key) for key, _ in self.fields})

    def __eq__(self, other):
        if isinstance(other, _MultiDict):
            return self.fields == other.fields
        return False

    def get_all(self, key):
        key = self._kconv(key)
        return [value for k, value in self.fields if self._kconv(k) == key]

    def set_all(self, key, values):
        new_fields = []
        key_kconv = self._kconv(key)
        values = list(values)
        for field in self.fields:
            if self._kconv(field[0]) == key_kconv:
                if values:
                    new_fields.append((field[0], values.pop(0)))
            else:
                new_fields.append(field)
        while values:
            new_fields.append((key, values.pop(0)))
        self.fields = tuple(new_fields)

    def add(self, key, value):
        self.insert(len(self.fields), key, value)

    def insert(self, index, key, value):
        item = (key, value)
        self.fields = self.fields[:index] + (item,) + self.fields[index:]

    def keys(self, multi=False):
        return (k for k, _ in self.items(multi))

    def values(self, multi=False):
        return (v for _, v in self.items(multi))

    def items(self, multi=False):
        if multi:
            return self.fields
        return super().items()


class MultiDict(_MultiDict):
    """A multidict of its own."""

    def __init__(self, fields=()):
        super().__init__()
        self.fields = tuple(tuple(i) for i in fields)

    def copy(self):
        return MultiDict(self.fields)

    def get_state(self):
        return self.fields

    def set_state(self, state):
        self.fields = tuple(tuple(x) for x in state)

    @classmethod
    def from_state(cls, state):
        return cls(state)


class MultiDictView(_MultiDict):
    """A multidict whose fields are read through getter() and written
    through setter(fields) each time: a live view of what they reach."""

    def __init__(self, getter, setter):
        self._getter = getter
        self._setter = setter
        super().__init__()

    @staticmethod
    def _kconv(key):
        # All request-attributes are case-sensitive.
        return key

    @staticmethod
    def _reduce_values(values):
        # We just return the first element if multiple elements exist with the same key.
        return values[0]

    @property
    def fields(self):
        return self._getter()

    @fields.setter
    def fields(self, value):
        self._setter(value)

    def copy(self):
        return MultiDict(self.fields)


__all__ = ["MultiDict", "MultiDictView"]
