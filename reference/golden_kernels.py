"""Writes tensor/src/test/resources/golden/kernels-v1.json: single tensor kernels computed by PyTorch in float32
AND float64, and the exact bits of F32 -> BF16 / F16 conversions, for GoldenKernelTest in the tensor module.

Run from the repository root (torch 1.13 lives in the system Python, not the one on PATH):

    /usr/bin/python3 reference/golden_kernels.py            # writes the file
    /usr/bin/python3 reference/golden_kernels.py --check    # writes to a temporary file, fails if it differs

Version header: "version": 1 is the version of the FORMAT (key names, tensor encoding, what each case computes).
GoldenKernelTest refuses any other version with a message naming the regenerate command. Changing the format or a
case bumps the version AND the file name (kernels-v2.json) together, with the matching Java change.

Conventions of this file (the rest is in reference/README.md):
- Float inputs are drawn as float32 from a seeded torch.Generator and stored with dtype "float32": every such value
  is exactly a float32 AND exactly a double, so the Java test feeds the same numbers to its F32 and F64 kernels.
- Every kernel output appears twice: "<name>_f32", computed by torch in float32 from the float32 inputs, and
  "<name>_f64", computed by torch in float64 from the same values.
- Backward kernels get an upstream gradient input ("dy", "dout", "dloss") and produce "d<input>_f32/_f64".
- Conversion cases carry their float32 inputs as raw IEEE bits ("bits", int32), so NaN payloads and signaling NaNs
  survive exactly; the readable "values" tensor beside them writes NaN/inf as the strings "nan"/"inf"/"-inf"
  (JSON numbers cannot hold them). Outputs are raw bits as torch produced them: "bf16_bits"/"f16_bits" (int16,
  from .to(torch.bfloat16/float16).view(torch.int16)) and "bf16_widened_bits"/"f16_widened_bits" (int32, the
  16-bit value widened back to float32).
"""

import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import golden_document, golden_main, tensor_json, write_json  # noqa: E402

VERSION = 1
OUTPUT = "tensor/src/test/resources/golden/kernels-v1.json"


def new_generator(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def uniform32(g, shape, scale=1.0):
    """float32 uniform(-scale, scale): the values are exact in float32 and in float64."""
    return ((torch.rand(shape, generator=g, dtype=torch.float32) * 2 - 1) * scale).float()


def both(fn, *inputs):
    """fn evaluated by torch in float32 and in float64 on the same (float32-exact) values."""
    f32 = fn(*[t.float() if t.is_floating_point() else t for t in inputs])
    f64 = fn(*[t.double() if t.is_floating_point() else t for t in inputs])
    return f32, f64


def add_both(outputs, name, pair):
    outputs[name + "_f32"] = pair[0]
    outputs[name + "_f64"] = pair[1]


def grads_of(fn, inputs, upstream):
    """d(sum(fn(*inputs) * upstream)) / d(each float input), i.e. the vector-Jacobian product with upstream."""
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    return torch.autograd.grad(out, leaves, grad_outputs=upstream)


def assert_close(name, actual, expected, rtol=1e-12, atol=1e-13):
    if not torch.allclose(actual.double(), expected.double(), rtol=rtol, atol=atol):
        diff = (actual.double() - expected.double()).abs().max().item()
        raise AssertionError(f"self-check {name}: max diff {diff:.3e}")


def case(description, config, inputs, outputs):
    return {
        "description": description,
        "config": config,
        "inputs": {n: tensor_json(t, allow_non_finite=(n == "values")) for n, t in inputs.items()},
        "outputs": {n: tensor_json(t) for n, t in outputs.items()},
    }


# ---------------------------------------------------------------------------------------------------------------
# Numeric kernels
# ---------------------------------------------------------------------------------------------------------------

def case_matmul():
    g = new_generator(101)
    a = uniform32(g, (13, 17))                                             # (M, K)
    b = uniform32(g, (17, 9))                                              # (K, N)
    outputs = {}
    add_both(outputs, "out", both(lambda x, y: x @ y, a, b))
    # The same product with b stored as a BF16 / F16 weight: torch rounds b, then multiplies in float32/64.
    b_bf16 = b.to(torch.bfloat16)
    b_f16 = b.to(torch.float16)
    add_both(outputs, "out_bf16_weight", both(lambda x, y: x @ y, a, b_bf16.float()))
    add_both(outputs, "out_f16_weight", both(lambda x, y: x @ y, a, b_f16.float()))
    assert_close("matmul f64", outputs["out_f64"], torch.einsum("mk,kn->mn", a.double(), b.double()))
    return case("out = a @ b (M=13, K=17, N=9); out_bf16_weight / out_f16_weight: b rounded to BF16 / F16 first "
                "(b_bf16_bits, b_f16_bits), as a 16-bit weight operand", {},
                {"a": a, "b": b, "b_bf16_bits": b_bf16.view(torch.int16), "b_f16_bits": b_f16.view(torch.int16)},
                outputs)


def case_matmul_batched():
    g = new_generator(111)
    a = uniform32(g, (2, 5, 37))                                           # (B, M, K): K = 2 * 16 + 5
    b = uniform32(g, (37, 19))                                             # (K, N), broadcast over B
    outputs = {}
    add_both(outputs, "out", both(lambda x, y: x @ y, a, b))
    return case("out = a @ b with b broadcast over a's batch axis (B=2, M=5, K=37, N=19: K and N are full "
                "16-lane vectors plus a tail)", {}, {"a": a, "b": b}, outputs)


def case_softmax():
    g = new_generator(102)
    x = uniform32(g, (5, 37), scale=30.0)                                  # large magnitudes: exp overflows unshifted
    dy = uniform32(g, (5, 37))
    outputs = {}
    add_both(outputs, "softmax", both(lambda t: torch.softmax(t, -1), x))
    add_both(outputs, "log_softmax", both(lambda t: torch.log_softmax(t, -1), x))
    add_both(outputs, "softmax_dx", both(lambda t, u: grads_of(lambda z: torch.softmax(z, -1), [t], u)[0], x, dy))
    add_both(outputs, "log_softmax_dx",
             both(lambda t, u: grads_of(lambda z: torch.log_softmax(z, -1), [t], u)[0], x, dy))
    x64 = x.double()
    by_hand = torch.exp(x64 - x64.max(-1, keepdim=True).values)
    assert_close("softmax f64", outputs["softmax_f64"], by_hand / by_hand.sum(-1, keepdim=True))
    return case("softmax and log_softmax along the last axis of x = 30 * uniform(-1, 1); softmax_dx, log_softmax_dx: "
                "their backward (vector-Jacobian product) with upstream dy", {}, {"x": x, "dy": dy}, outputs)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def case_rms_norm():
    g = new_generator(103)
    eps = 1e-6
    x = uniform32(g, (4, 33))
    weight = (1 + 0.1 * uniform32(g, (33,))).float()
    dy = uniform32(g, (4, 33))
    outputs = {}
    add_both(outputs, "out", both(lambda t, w: rms_norm(t, w, eps), x, weight))
    grads = both(lambda t, w, u: grads_of(lambda a, b: rms_norm(a, b, eps), [t, w], u), x, weight, dy)
    add_both(outputs, "dx", (grads[0][0], grads[1][0]))
    add_both(outputs, "dweight", (grads[0][1], grads[1][1]))
    return case("out = x * rsqrt(mean(x^2, -1) + eps) * weight; dx, dweight: backward with upstream dy",
                {"eps": eps}, {"x": x, "weight": weight, "dy": dy}, outputs)


def rotate_half(t):
    half = t.shape[-1] // 2
    return torch.cat((-t[..., half:], t[..., :half]), -1)


def case_rope():
    g = new_generator(104)
    theta, D = 500000.0, 8
    positions = torch.tensor([3, 7, 8, 100, 4095], dtype=torch.int32)
    x = uniform32(g, (1, 2, 5, D))                                         # (B, H, T, D)
    outputs = {}
    for dtype, suffix in ((torch.float32, "_f32"), (torch.float64, "_f64")):
        # HF LlamaRotaryEmbedding: inv_freq and the angles in the compute dtype (float32 in HF).
        inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.int64).to(dtype) / D))   # (D/2)
        freqs = positions.to(dtype)[:, None] * inv_freq[None, :]           # (T, D/2)
        emb = torch.cat((freqs, freqs), -1)                                # (T, D)
        cos, sin = emb.cos(), emb.sin()
        xd = x.to(dtype)
        outputs["inv_freq" + suffix] = inv_freq
        outputs["cos" + suffix] = cos
        outputs["sin" + suffix] = sin
        outputs["out" + suffix] = xd * cos + rotate_half(xd) * sin
    # HF's float32 pow is not correctly rounded: with theta 500000 its inv_freq[2] is 1 ulp below the float64 value
    # rounded to float32. Record how far apart they are, so a change of torch that moves this is noticed.
    ulps = (outputs["inv_freq_f32"].view(torch.int32) - outputs["inv_freq_f64"].float().view(torch.int32)).abs()
    print(f"  rope: HF float32 inv_freq vs correctly rounded: {ulps.tolist()} ulps")
    assert int(ulps.max()) <= 1, "HF float32 inv_freq more than 1 ulp from the correctly rounded value"
    return case("HF rotate-half RoPE: inv_freq = 1 / theta^(arange(0, D, 2) / D), angle = position * inv_freq "
                "(computed in the output dtype, as HF does in float32: its float32 inv_freq may be 1 ulp off the "
                "correctly rounded value), cos/sin = cos/sin(cat(angle, angle)), "
                "out = x * cos + rotate_half(x) * sin",
                {"rope_theta": theta, "head_dim": D}, {"x": x, "positions": positions}, outputs)


def case_silu_swiglu():
    g = new_generator(105)
    gate = uniform32(g, (7, 19), scale=4.0)
    up = uniform32(g, (7, 19))
    dy = uniform32(g, (7, 19))
    swiglu = lambda a, b: F.silu(a) * b  # noqa: E731
    outputs = {}
    add_both(outputs, "silu", both(F.silu, gate))
    add_both(outputs, "swiglu", both(swiglu, gate, up))
    grads = both(lambda a, b, u: grads_of(swiglu, [a, b], u), gate, up, dy)
    add_both(outputs, "dgate", (grads[0][0], grads[1][0]))
    add_both(outputs, "dup", (grads[0][1], grads[1][1]))
    return case("silu(gate) = gate * sigmoid(gate); swiglu = silu(gate) * up; dgate, dup: swiglu backward with dy",
                {}, {"gate": gate, "up": up, "dy": dy}, outputs)


def attention(q, k, v, scale):
    """Causal GQA attention, decoding-style: the T queries are the last T of the S positions (query t is at
    position t + S - T and sees keys s <= t + S - T). q (B, H, T, D), k, v (B, G, S, D) -> out, lse."""
    H, G, T, S = q.shape[1], k.shape[1], q.shape[2], k.shape[2]
    k = k.repeat_interleave(H // G, dim=1)                                 # (B, H, S, D)
    v = v.repeat_interleave(H // G, dim=1)
    scores = q @ k.transpose(-2, -1) * scale                               # (B, H, T, S)
    allowed = torch.arange(S)[None, :] <= torch.arange(T)[:, None] + (S - T)
    scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, -1) @ v, torch.logsumexp(scores, -1)


def attention_by_loops(q, k, v, scale):
    B, H, T, D = q.shape
    G, S = k.shape[1], k.shape[2]
    out = torch.zeros(B, H, T, D, dtype=q.dtype)
    for b in range(B):
        for h in range(H):
            kv = h // (H // G)
            for t in range(T):
                visible = t + S - T + 1
                s = torch.stack([(q[b, h, t] * k[b, kv, j]).sum() * scale for j in range(visible)])
                p = torch.exp(s - s.max())
                out[b, h, t] = (p[:, None] * v[b, kv, :visible]).sum(0) / p.sum()
    return out


def case_attention():
    g = new_generator(106)
    D = 8
    scale = 1 / math.sqrt(D)
    q = uniform32(g, (1, 4, 5, D))
    k = uniform32(g, (1, 2, 7, D))
    v = uniform32(g, (1, 2, 7, D))
    dout = uniform32(g, (1, 4, 5, D))
    outputs = {}
    for dtype, suffix in ((torch.float32, "_f32"), (torch.float64, "_f64")):
        qd, kd, vd = q.to(dtype), k.to(dtype), v.to(dtype)
        out, lse = attention(qd, kd, vd, scale)
        dq, dk, dv = grads_of(lambda a, b, c: attention(a, b, c, scale)[0], [qd, kd, vd], dout.to(dtype))
        for name, t in (("out", out), ("lse", lse), ("dq", dq), ("dk", dk), ("dv", dv)):
            outputs[name + suffix] = t
    assert_close("attention f64", outputs["out_f64"], attention_by_loops(q.double(), k.double(), v.double(), scale))
    return case("causal GQA attention with T=5 queries over S=7 keys: query t is position t + S - T and sees keys "
                "s <= t + S - T; query head h uses kv head h // (H / G); out = softmax(q k^T * scale + mask) v, "
                "lse = logsumexp of each masked score row; dq, dk, dv: backward with upstream dout",
                {"scale": scale, "causal": True}, {"q": q, "k": k, "v": v, "dout": dout}, outputs)


def case_attention_prefill():
    g = new_generator(112)
    D = 24
    scale = 1 / math.sqrt(D)
    q = uniform32(g, (1, 4, 11, D), scale=2.0)
    k = uniform32(g, (1, 1, 11, D), scale=2.0)
    v = uniform32(g, (1, 1, 11, D))
    dout = uniform32(g, (1, 4, 11, D))
    outputs = {}
    for dtype, suffix in ((torch.float32, "_f32"), (torch.float64, "_f64")):
        qd, kd, vd = q.to(dtype), k.to(dtype), v.to(dtype)
        out, lse = attention(qd, kd, vd, scale)
        dq, dk, dv = grads_of(lambda a, b, c: attention(a, b, c, scale)[0], [qd, kd, vd], dout.to(dtype))
        for name, t in (("out", out), ("lse", lse), ("dq", dq), ("dk", dk), ("dv", dv)):
            outputs[name + suffix] = t
    assert_close("attention prefill f64", outputs["out_f64"],
                 attention_by_loops(q.double(), k.double(), v.double(), scale))
    return case("causal multi-query attention (one kv head for 4 query heads), T = S = 11, D = 24, as "
                "attention_gqa_decode otherwise", {"scale": scale, "causal": True},
                {"q": q, "k": k, "v": v, "dout": dout}, outputs)


def case_cross_entropy():
    g = new_generator(107)
    logits = uniform32(g, (6, 29), scale=5.0)
    targets = torch.randint(0, 29, (6,), generator=g, dtype=torch.int64)
    targets[2] = -100
    dloss = uniform32(g, (6,))
    ce = lambda z: F.cross_entropy(z, targets, ignore_index=-100, reduction="none")  # noqa: E731
    outputs = {}
    add_both(outputs, "loss", both(ce, logits))
    add_both(outputs, "lse", both(lambda z: torch.logsumexp(z, -1), logits))
    add_both(outputs, "mean_loss", both(lambda z: F.cross_entropy(z, targets, ignore_index=-100), logits))
    add_both(outputs, "dlogits", both(lambda z, u: grads_of(ce, [z], u)[0], logits, dloss))
    lse64 = torch.logsumexp(logits.double(), -1)
    by_hand = torch.stack([lse64[r] - logits.double()[r, targets[r]] if targets[r] != -100 else lse64[r] * 0
                           for r in range(6)])
    assert_close("cross_entropy f64", outputs["loss_f64"], by_hand)
    return case("per-row cross-entropy (reduction none) of logits (6, 29) against int64 targets, row 2 ignored "
                "(-100, loss 0); lse: logsumexp of every row; mean_loss: the mean over non-ignored rows; dlogits: "
                "backward of the per-row losses with upstream dloss", {"ignore_index": -100},
                {"logits": logits, "targets": targets, "dloss": dloss}, outputs)


def case_kl_divergence():
    g = new_generator(108)
    T = 2.0
    student = uniform32(g, (6, 29), scale=5.0)
    teacher = uniform32(g, (6, 29), scale=5.0)
    dloss = uniform32(g, (6,))

    def kl(s, t):
        log_pt = torch.log_softmax(t / T, -1)
        return (log_pt.exp() * (log_pt - torch.log_softmax(s / T, -1))).sum(-1)

    outputs = {}
    add_both(outputs, "loss", both(kl, student, teacher))
    add_both(outputs, "dstudent", both(lambda s, t, u: grads_of(lambda a: kl(a, t), [s], u)[0], student, teacher,
                                       dloss))
    ref = F.kl_div(torch.log_softmax(student.double() / T, -1), torch.log_softmax(teacher.double() / T, -1),
                   reduction="none", log_target=True).sum(-1)
    assert_close("kl f64", outputs["loss_f64"], ref)
    return case("per-row KL(p_teacher || p_student), p = softmax(logits / temperature), no T^2 factor; dstudent: "
                "backward with upstream dloss (teacher is constant)", {"temperature": T},
                {"student": student, "teacher": teacher, "dloss": dloss}, outputs)


# ---------------------------------------------------------------------------------------------------------------
# Conversions: 64 float32 bit patterns each, chosen around the rounding edges of the target format
# ---------------------------------------------------------------------------------------------------------------

SPECIALS = [
    0x00000000, 0x80000000,                          # +0, -0
    0x7F800000, 0xFF800000,                          # +inf, -inf
    0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FFFFFFF,  # quiet NaN, negative NaN, signaling NaN, all-ones payload
    0x3F800000, 0xC0200000, 0x3F000000, 0x40400000,  # 1.0, -2.5, 0.5, 3.0: exact in both formats
]

BF16_EDGES = [
    0x7F7FFFFF, 0xFF7FFFFF,  # float32 max: rounds up to inf
    0x7F7F7FFF,              # just below the tie above bf16's largest odd value: down
    0x7F7F8000,              # exact tie at bf16 max (odd mantissa): rounds to even = inf
    0x7F7EFFFF,              # rounds to 0x7F7F (bf16 max)
    0x00800000, 0x80800000,  # smallest normal
    0x007FFFFF,              # largest subnormal: rounds up to the smallest normal
    0x00000001, 0x80000001,  # smallest subnormal: rounds to +-0
    0x00008000,              # subnormal tie, even below: 0
    0x00018000, 0x80018000,  # subnormal tie, odd below: up
    0x00010000,              # exact bf16 subnormal
    0x3F808000,              # 1 + half a bf16 ulp: tie, even below (1.0)
    0x3F818000,              # tie, odd below: up to 0x3F82
    0x3F808001, 0x3F807FFF,  # just above / below the tie
    0xBF808000, 0xBF818000,  # negative ties
    0x3FFF8000,              # tie that carries into the exponent: 2.0
    0x3F7F8000,              # tie below 1.0, odd: rounds up to 1.0
]

F16_EDGES = [
    0x477FE000,              # 65504, the f16 max: exact
    0x477FEFFF,              # just below the overflow tie: 65504
    0x477FF000, 0xC77FF000,  # 65520: tie at max (odd): rounds to inf
    0x501502F9,              # 1e10: inf
    0x7F7FFFFF,              # float32 max: inf
    0x38800000,              # 2^-14, smallest f16 normal
    0x33800000,              # 2^-24, smallest f16 subnormal
    0x33000000,              # 2^-25: tie between 0 and the smallest subnormal: 0
    0x33000001,              # just above: the smallest subnormal
    0x33C00000,              # 3 * 2^-25: tie between 1 and 2 subnormal units: 2
    0x32800000,              # 2^-26: 0
    0x387FC000,              # 1023 * 2^-24, the largest subnormal: exact
    0x387FE000,              # 1023.5 * 2^-24: tie, odd below: the smallest normal
    0x00000001, 0x80000001,  # float32 subnormals: +-0
    0x3F801000,              # 1 + 2^-11: tie, even below: 1.0
    0x3F803000,              # 1 + 3 * 2^-11: tie, odd below: up
    0x3F801001, 0x3F800FFF,  # just above / below the tie
    0xBF801000, 0xBF803000,  # negative ties
    0x45001000,              # 2049: tie between 2048 and 2050: 2048
    0x45003000,              # 2051: tie: 2052
]


def random_edge_bits(g, count, tie_mask, tie_value, exponent_low, exponent_high):
    """count float32 bit patterns with exponents in [low, high]: the first half at an exact tie of the target
    format (bits under the kept mantissa equal to tie_value), the second half random."""
    out = []
    for i in range(count):
        sign = int(torch.randint(0, 2, (1,), generator=g)) << 31
        exponent = int(torch.randint(exponent_low, exponent_high + 1, (1,), generator=g)) << 23
        mantissa = int(torch.randint(0, 1 << 23, (1,), generator=g))
        if i < count // 2:
            mantissa = (mantissa & ~tie_mask) | tie_value
        out.append(sign | exponent | mantissa)
    return out


def bits_tensor(bit_list):
    signed = [b - (1 << 32) if b >= (1 << 31) else b for b in bit_list]
    return torch.tensor(signed, dtype=torch.int32)


def bf16_by_hand(bits):
    """Round to nearest even on the top 16 bits (the definition), for non-NaN inputs."""
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF


def conversion_case(name, target, edges, seed, tie_mask, tie_value, exponent_range):
    g = new_generator(seed)
    bit_list = SPECIALS + edges
    bit_list += random_edge_bits(g, 64 - len(bit_list), tie_mask, tie_value, *exponent_range)
    assert len(bit_list) == 64 and len(set(bit_list)) == 64, f"{name}: 64 distinct values expected"
    bits = bits_tensor(bit_list)
    values = bits.view(torch.float32)
    narrowed = values.to(target)                                           # torch's vectorized conversion
    narrowed_bits = narrowed.view(torch.int16)
    widened_bits = narrowed.float().view(torch.int32)

    # Self-checks for every non-NaN value: torch's element-at-a-time path agrees, and so does an independent
    # implementation (the RNE formula for BF16, numpy's float16 cast for F16).
    for i, b in enumerate(bit_list):
        if math.isnan(struct.unpack("<f", struct.pack("<I", b))[0]):
            continue
        single = values[i:i + 1].clone().to(target).view(torch.int16)
        assert int(single) == int(narrowed_bits[i]), f"{name}: torch paths differ at 0x{b:08X}"
        mine = int(narrowed_bits[i]) & 0xFFFF
        if target == torch.bfloat16:
            expected = bf16_by_hand(b)
        else:
            with np.errstate(over="ignore"):  # overflow to inf is one of the cases
                as_f16 = np.array([b], dtype=np.uint32).view(np.float32).astype(np.float16)
            expected = int(as_f16.view(np.uint16)[0])
        assert mine == expected, f"{name}: 0x{b:08X} -> 0x{mine:04X}, independent rounding gives 0x{expected:04X}"

    kind = "bf16" if target == torch.bfloat16 else "f16"
    return case(f"float32 -> {kind} by torch .to(); NaN outputs are whatever torch's CPU path produced (the AVX "
                f"path and the scalar path differ), so only NaN-ness is portable",
                {"count": 64},
                {"bits": bits, "values": values},
                {f"{kind}_bits": narrowed_bits, f"{kind}_widened_bits": widened_bits})


def build_document():
    torch.set_num_threads(1)  # a fixed summation order: the file is byte-identical across runs
    builders = [
        ("matmul", case_matmul),
        ("matmul_batched", case_matmul_batched),
        ("softmax", case_softmax),
        ("rms_norm", case_rms_norm),
        ("rope", case_rope),
        ("silu_swiglu", case_silu_swiglu),
        ("attention_gqa_decode", case_attention),
        ("attention_mqa_prefill", case_attention_prefill),
        ("cross_entropy", case_cross_entropy),
        ("kl_divergence", case_kl_divergence),
        ("to_bf16", lambda: conversion_case("to_bf16", torch.bfloat16, BF16_EDGES, 109, 0xFFFF, 0x8000, (1, 254))),
        # F16 normal exponents are float32 exponents 113..142; reach a little past both ends.
        ("to_f16", lambda: conversion_case("to_f16", torch.float16, F16_EDGES, 110, 0x1FFF, 0x1000, (100, 145))),
    ]
    return golden_document("reference/golden_kernels.py", VERSION, builders)


def main():
    golden_main(__doc__.split("\n\n")[0], "reference/golden_kernels.py", OUTPUT, build_document)


if __name__ == "__main__":
    main()
