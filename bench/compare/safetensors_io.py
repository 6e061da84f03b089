"""Reading and writing the safetensors format by hand (numpy + struct; no safetensors package).

Layout: 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON, mapping each
tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data that
follows the header) plus an optional "__metadata__" object of string values; then the data,
little-endian, row-major. Writers may pad the header with spaces (we pad to 8 bytes).
"""

import json
import struct

import numpy as np

DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"), "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
NAMES = {(v.kind, v.itemsize): k for k, v in DTYPES.items()}


class DumpError(Exception):
    """A file that is not a readable safetensors file: one sentence."""


def read(path):
    """(metadata dict of str, {name: numpy array}); BF16 tensors come back as float32."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise DumpError("cannot read %s: %s" % (path, e.strerror or e))
    if len(blob) < 8:
        raise DumpError("%s is not a safetensors file (shorter than its 8-byte header length)" % path)
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise DumpError("%s is not a safetensors file (header length %d exceeds the file's %d bytes)"
                        % (path, n, len(blob)))
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise DumpError("%s has a header that is not JSON (%s)" % (path, e))
    if not isinstance(header, dict):
        raise DumpError("%s has a header that is not a JSON object" % path)
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise DumpError("%s has a __metadata__ that is not an object" % path)
    tensors = {}
    for name, info in header.items():
        try:
            dtype, shape, (begin, end) = info["dtype"], [int(d) for d in info["shape"]], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise DumpError("%s: tensor '%s' lacks dtype, shape or data_offsets" % (path, name))
        if not (0 <= begin <= end <= len(data)):
            raise DumpError("%s: tensor '%s' has data_offsets [%s, %s] outside the %d data bytes"
                            % (path, name, begin, end, len(data)))
        count = int(np.prod(shape)) if shape else 1
        if dtype == "BF16":
            if end - begin != 2 * count:
                raise DumpError("%s: tensor '%s' has %d bytes for %d BF16 values" % (path, name, end - begin, count))
            u = np.frombuffer(data[begin:end], dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        elif dtype in DTYPES:
            dt = DTYPES[dtype]
            if end - begin != dt.itemsize * count:
                raise DumpError("%s: tensor '%s' has %d bytes for %d %s values"
                                % (path, name, end - begin, count, dtype))
            arr = np.frombuffer(data[begin:end], dtype=dt)
        else:
            raise DumpError("%s: tensor '%s' has dtype %s, which this reader does not know" % (path, name, dtype))
        tensors[name] = arr.reshape(shape).copy()
    return {str(k): str(v) for k, v in meta.items()}, tensors


def write(path, tensors, metadata=None):
    """Writes {name: numpy array} (in the given order) and string metadata."""
    header, offset, chunks = {}, 0, []
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        key = NAMES.get((arr.dtype.kind, arr.dtype.itemsize))
        if key is None:
            raise ValueError("tensor '%s': dtype %s cannot be written" % (name, arr.dtype))
        raw = arr.astype(DTYPES[key], copy=False).tobytes()
        header[name] = {"dtype": key, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
