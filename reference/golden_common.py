"""Shared helpers for the golden-file writers in reference/ (golden_autograd.py, golden_kernels.py).

A golden file is one JSON object:

    {"format": "minitron-golden", "version": 1, "generator": ..., "regenerate": ..., "torch": ..., "cases": {...}}

and every tensor inside it is written as

    {"shape": [2, 3], "dtype": "float64", "data": [flat row-major values]}

Floats are written with Python's repr(), the shortest decimal string that reads back to the same double, so the
Java side parses exactly the value torch computed. JSON numbers cannot hold NaN or infinities; the few tensors
that need them (only in the kernel file) write the strings "nan", "inf" and "-inf" in their place. The writer
refuses a non-finite float anywhere else, so such a value can never slip into a file silently.

The output is deterministic: keys keep insertion order, each tensor sits on one line, nothing depends on time or
on the machine (the torch version string aside), so running a writer twice gives a byte-identical file.
"""

import math

import torch

FORMAT = "minitron-golden"


def _float_text(value, allow_non_finite):
    if math.isnan(value) or math.isinf(value):
        if not allow_non_finite:
            raise ValueError(f"non-finite value {value!r} in a tensor that must be finite")
        if math.isnan(value):
            return '"nan"'
        return '"inf"' if value > 0 else '"-inf"'
    return repr(float(value))


def tensor_json(t, allow_non_finite=False):
    """One tensor as a dict ready for write_json: float tensors keep their dtype name, integer ones are int64."""
    t = t.detach().contiguous()
    if t.dtype in (torch.float64, torch.float32):
        dtype = "float64" if t.dtype == torch.float64 else "float32"
        # float32 values are widened to double exactly; repr of that double reads back to the same float32.
        data = [_float_text(v, allow_non_finite) for v in t.reshape(-1).double().tolist()]
    elif t.dtype in (torch.int64, torch.int32, torch.int16):
        dtype = {torch.int64: "int64", torch.int32: "int32", torch.int16: "int16"}[t.dtype]
        data = [str(int(v)) for v in t.reshape(-1).tolist()]
    else:
        raise ValueError(f"tensor_json: unsupported dtype {t.dtype}")
    return {"shape": list(t.shape), "dtype": dtype, "_data_text": data}


def _write_value(value, indent, out):
    pad = "  " * indent
    if isinstance(value, dict) and "_data_text" in value:
        # A tensor: one line, compact data.
        shape = "[" + ", ".join(str(d) for d in value["shape"]) + "]"
        data = "[" + ",".join(value["_data_text"]) + "]"
        out.append(f'{{"shape": {shape}, "dtype": "{value["dtype"]}", "data": {data}}}')
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{\n")
        items = list(value.items())
        for i, (key, item) in enumerate(items):
            if not isinstance(key, str):
                raise ValueError(f"JSON keys must be strings, found {key!r}")
            out.append(f"{pad}  {_string(key)}: ")
            _write_value(item, indent + 1, out)
            out.append(",\n" if i + 1 < len(items) else "\n")
        out.append(pad + "}")
    elif isinstance(value, (list, tuple)):
        out.append("[" + ", ".join(_scalar(v) for v in value) + "]")
    else:
        out.append(_scalar(value))


def _string(s):
    escaped = s.replace("\\", "\\\\").replace('"', '\\"')
    if any(ord(c) < 0x20 for c in escaped):
        raise ValueError(f"control character in JSON string {s!r}")
    return '"' + escaped + '"'


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float_text(v, allow_non_finite=False)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    raise ValueError(f"cannot write {type(v).__name__} value {v!r} as a JSON scalar")


def write_json(path, document):
    """Writes the document (dicts, lists, scalars and tensor_json tensors) with a trailing newline."""
    out = []
    _write_value(document, 0, out)
    out.append("\n")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(out))


def uniform(generator, shape, dtype=torch.float64):
    """uniform(-1, 1) drawn from the case's own generator."""
    return torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1


def weight(generator, shape, dtype=torch.float64):
    """A weight in HF layout (out, in): uniform(-1, 1) / sqrt(fan_in), fan_in = shape[-1]."""
    return uniform(generator, shape, dtype) / math.sqrt(shape[-1])


def golden_document(script, version, builders):
    """Runs each (name, build) of builders and wraps the cases in the versioned header every golden file has."""
    cases = {}
    for name, build in builders:
        print(f"case {name}")
        cases[name] = build()
    return {
        "format": FORMAT,
        "version": version,
        "generator": script,
        "regenerate": f"/usr/bin/python3 {script}",
        "torch": torch.__version__,
        "cases": cases,
    }


def golden_main(description, script, output, build_document):
    """The command line of a golden script: write OUTPUT, or with --check fail when a fresh run differs from it."""
    import argparse
    import filecmp
    import os
    import sys
    import tempfile

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary file and fail if it differs from the committed one")
    parser.add_argument("--output", default=output, help=f"where to write (default {output})")
    args = parser.parse_args()
    document = build_document()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = os.path.join(tmp, os.path.basename(args.output))
            write_json(fresh, document)
            if not filecmp.cmp(fresh, args.output, shallow=False):
                sys.exit(f"{args.output} differs from a fresh run: regenerate it with /usr/bin/python3 {script}")
            print(f"{args.output} is up to date")
    else:
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        write_json(args.output, document)
        print(f"wrote {args.output} ({os.path.getsize(args.output)} bytes)")
