"""Reference safetensors files for the Java reader and writer tests, and a reference-rules verifier.

The `safetensors` Python package is not installable here (no PyPI; Debian bookworm has no python3-safetensors;
torch 1.13 predates it), so this script re-implements the format's reference implementation
(huggingface/safetensors, safetensors/src/tensor.rs) byte for byte:

  serialize:  sort tensors by descending dtype (the Rust Dtype enum order, ... F16 < BF16 < ... < F32 ...), then by
              name; header = compact serde_json of {"__metadata__": {...}, name: {"dtype", "shape", "data_offsets"}}
              (metadata first, keys in that order, no spaces); pad the header with spaces to a multiple of 8;
              write u64 little-endian header length, header, then the tensors' bytes back to back.
  read rules: header length <= 100_000_000 and inside the file; UTF-8 JSON; tensors sorted by offsets must start at 0
              and each begin where the previous ended (no gap, no overlap); (end - begin) == numel * dtype size;
              the last end is the end of the file.

Before writing anything the script checks its serializer against the byte vectors of the reference crate's own
unit tests (test_serialization, test_serialization_forced_alignement, test_empty), so the fixtures are what the
reference implementation would write.

Usage (from the repository root, with the system Python that has torch):
    /usr/bin/python3 reference/safetensors_fixtures.py            # (re)write the fixtures
    /usr/bin/python3 reference/safetensors_fixtures.py --check    # fail if the committed fixtures differ
    /usr/bin/python3 reference/safetensors_fixtures.py --verify PATH...   # read files or model dirs written by
                                                                          # the Java writer with the reference rules
Values: element i of the k-th tensor of a fixture is ((7*i + 13*k) % 61 - 30) / 8, exact in F32, BF16 and F16,
so the Java tests recompute them instead of storing them twice (FixtureValues.java).
"""

import json
import os
import struct
import sys

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "transformer", "src", "test", "resources",
                   "safetensors")

# The reference's Dtype enum order (increasing alignment) and element sizes.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64",
               "I64", "U64"]
DTYPE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
              "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
MAX_HEADER_SIZE = 100_000_000


def serialize(tensors, metadata=None):
    """tensors: {name: (dtype, shape, raw little-endian bytes)} -> the file's bytes, as the reference writes them."""
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(kv[1][0]), kv[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, (dtype, shape, data) in items:
        assert len(data) == int(np.prod(shape, dtype=np.int64)) * DTYPE_SIZE[dtype], name
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(data for _, (_, _, data) in items)


def deserialize(buf, name="<bytes>"):
    """The reference's read_metadata + validate; returns {name: (dtype, shape, bytes)} and the metadata."""
    if len(buf) < 8:
        raise ValueError(f"{name}: HeaderTooSmall")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > MAX_HEADER_SIZE:
        raise ValueError(f"{name}: HeaderTooLarge")
    if 8 + n > len(buf):
        raise ValueError(f"{name}: InvalidHeaderLength")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None)
    infos = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    start = 0
    for tname, info in infos:
        s, e = info["data_offsets"]
        if s != start or e < s:
            raise ValueError(f"{name}: InvalidOffset({tname})")
        start = e
        if e - s != int(np.prod(info["shape"], dtype=np.int64)) * DTYPE_SIZE[info["dtype"]]:
            raise ValueError(f"{name}: TensorInvalidInfo({tname})")
    if start + 8 + n != len(buf):
        raise ValueError(f"{name}: MetadataIncompleteBuffer")
    data = buf[8 + n:]
    out = {t: (i["dtype"], tuple(i["shape"]), data[i["data_offsets"][0]:i["data_offsets"][1]]) for t, i in infos}
    return out, metadata


def check_against_reference_unit_tests():
    """The byte vectors of safetensors/src/tensor.rs tests, reproduced by serialize()."""
    f32 = np.arange(6, dtype="<f4").tobytes()
    attn = bytes([64, 0, 0, 0, 0, 0, 0, 0]) + b'{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}' + f32
    assert serialize({"attn.0": ("F32", (1, 2, 3), f32)}) == attn, "test_serialization"
    expected = bytes([72, 0, 0, 0, 0, 0, 0, 0]) + b'{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}' \
        + b" " * 7 + f32
    assert serialize({"attn0": ("F32", (1, 1, 2, 3), f32)}) == expected, "test_serialization_forced_alignement"
    assert serialize({}) == bytes([8, 0, 0, 0, 0, 0, 0, 0]) + b"{}" + b" " * 6, "test_empty"
    expected = bytes([40, 0, 0, 0, 0, 0, 0, 0]) + b'{"__metadata__":{"framework":"pt"}}' + b" " * 5
    assert serialize({}, {"framework": "pt"}) == expected, "test_empty with metadata"
    return {"reference_unit_test_attn.safetensors": attn, "reference_empty_with_metadata.safetensors": expected}


def values(k, n):
    """Element i of the k-th tensor: ((7i + 13k) mod 61 - 30) / 8, exact in every supported dtype."""
    i = np.arange(n, dtype=np.int64)
    return (((7 * i + 13 * k) % 61) - 30).astype(np.float32) / np.float32(8)


def raw(dtype, k, shape):
    v = values(k, int(np.prod(shape, dtype=np.int64)))
    if dtype == "F32":
        return v.astype("<f4").tobytes()
    if dtype == "F16":
        return v.astype("<f2").tobytes()
    if dtype == "BF16":
        return torch.from_numpy(v).to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def decode(dtype, data):
    """Little-endian bytes -> float32 values."""
    if dtype == "F32":
        return np.frombuffer(data, dtype="<f4").astype(np.float32)
    if dtype == "F16":
        return np.frombuffer(data, dtype="<f2").astype(np.float32)
    if dtype == "BF16":
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    raise ValueError(dtype)


def tensors_from(spec):
    """spec: [(name, dtype, shape)] -> serialize() input; k is the position in spec."""
    return {name: (dtype, shape, raw(dtype, k, shape)) for k, (name, dtype, shape) in enumerate(spec)}


# Names, dtypes and shapes mirrored by FixtureValues.java.
MIXED = [("b.f32", "F32", (3, 5)), ("a.bf16", "BF16", (7,)), ("c.f16", "F16", (2, 3, 2)),
         ("z.scalar", "F32", ()), ("e.empty", "BF16", (0, 4)), ("d.bf16", "BF16", (5, 3))]

# A tiny Llama: hidden 8, MLP 12, 2 layers, 2 heads of head_dim 6 (not 8 / 2), 1 KV head, vocab 11, untied.
TINY_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 1,
    "eos_token_id": [2, 3], "head_dim": 6, "hidden_act": "silu", "hidden_size": 8, "initializer_range": 0.02,
    "intermediate_size": 12, "max_position_embeddings": 64, "mlp_bias": False, "model_type": "llama",
    "num_attention_heads": 2, "num_hidden_layers": 2, "num_key_value_heads": 1, "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 16, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True,
    "vocab_size": 11,
}


def tiny_llama_spec():
    d, f, hd, h, g, v = 8, 12, 6, 2, 1, 11
    spec = [("model.embed_tokens.weight", "BF16", (v, d))]
    for i in range(2):
        p = f"model.layers.{i}."
        spec += [(p + "input_layernorm.weight", "BF16", (d,)),
                 (p + "self_attn.q_proj.weight", "BF16", (h * hd, d)),
                 (p + "self_attn.k_proj.weight", "BF16", (g * hd, d)),
                 (p + "self_attn.v_proj.weight", "BF16", (g * hd, d)),
                 (p + "self_attn.o_proj.weight", "BF16", (d, h * hd)),
                 (p + "post_attention_layernorm.weight", "BF16", (d,)),
                 (p + "mlp.gate_proj.weight", "BF16", (f, d)),
                 (p + "mlp.up_proj.weight", "BF16", (f, d)),
                 (p + "mlp.down_proj.weight", "BF16", (d, f))]
    spec += [("model.norm.weight", "BF16", (d,)), ("lm_head.weight", "BF16", (v, d))]
    return spec


def build():
    """{relative path: bytes} of every fixture."""
    files = dict(check_against_reference_unit_tests())
    files["reference_mixed.safetensors"] = serialize(tensors_from(MIXED), {"format": "pt"})
    # The tiny Llama in two shards, split after layer 0 as transformers' size-based sharding would.
    spec = tiny_llama_spec()
    all_tensors = tensors_from(spec)
    split = 1 + 9   # embed + layer 0
    shards = [dict(list(all_tensors.items())[:split]), dict(list(all_tensors.items())[split:])]
    weight_map = {}
    for s, shard in enumerate(shards):
        shard_name = f"model-{s + 1:05d}-of-{len(shards):05d}.safetensors"
        files["tiny-llama-sharded/" + shard_name] = serialize(shard, {"format": "pt"})
        weight_map.update({name: shard_name for name in shard})
    total = sum(len(t[2]) for t in all_tensors.values())
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    files["tiny-llama-sharded/model.safetensors.index.json"] = (json.dumps(index, indent=2) + "\n").encode()
    files["tiny-llama-sharded/config.json"] = (json.dumps(TINY_CONFIG, indent=2, sort_keys=True) + "\n").encode()
    return files


def verify(path):
    """Reads a file or model directory with the reference rules and checks the values against values()."""
    if os.path.isdir(path):
        index = os.path.join(path, "model.safetensors.index.json")
        if os.path.exists(index):
            weight_map = json.load(open(index))["weight_map"]
            shard_files = sorted(set(weight_map.values()))
        else:
            shard_files = ["model.safetensors"]
        tensors = {}
        for sf in shard_files:
            part, _ = deserialize(open(os.path.join(path, sf), "rb").read(), sf)
            tensors.update(part)
    else:
        tensors, metadata = deserialize(open(path, "rb").read(), path)
        print(f"{path}: metadata {metadata}")
    known = {name: k for k, (name, _, _) in enumerate(MIXED)}
    known.update({name: k for k, (name, _, _) in enumerate(tiny_llama_spec())})
    checked = 0
    for name, (dtype, shape, data) in sorted(tensors.items()):
        print(f"  {name}: {dtype} {list(shape)} {len(data)} bytes")
        if name in known:
            expected = values(known[name], int(np.prod(shape, dtype=np.int64)))
            if not np.array_equal(decode(dtype, data), expected):
                raise ValueError(f"{path}: {name}: values differ from the fixture formula")
            checked += 1
    print(f"{path}: {len(tensors)} tensors accepted by the reference rules, {checked} compared to the formula")
    return tensors


def main(argv):
    if argv and argv[0] == "--verify":
        for p in argv[1:]:
            verify(p)
        return 0
    check = argv == ["--check"]
    files = build()
    stale = []
    for rel, data in files.items():
        path = os.path.join(OUT, rel)
        if check:
            if not os.path.exists(path) or open(path, "rb").read() != data:
                stale.append(rel)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        # Round trip through our own reference-rules reader.
        if rel.endswith(".safetensors"):
            deserialize(data, rel)
    if stale:
        print("stale fixtures (regenerate with /usr/bin/python3 reference/safetensors_fixtures.py):", stale)
        return 1
    print(("checked " if check else "wrote ") + f"{len(files)} fixtures under {os.path.normpath(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
