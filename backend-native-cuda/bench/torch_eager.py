"""PyTorch eager baseline for CudaBenchmark: the same Llama decoder layers in F16 (defaults: 8 layers shaped
like Llama 70B, 512 cached positions), one decode step and a 512-position prefill, plus the tensor-core
peak of torch.matmul on this GPU. Run on the GPU machine: python3 torch_eager.py [--layers 8]."""
import argparse
import statistics
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=8)
p.add_argument("--context", type=int, default=512)
p.add_argument("--prefill", type=int, default=512)
p.add_argument("--steps", type=int, default=32)
a = p.parse_args()
dim, ffn, heads, kv_heads, hd = 8192, 28672, 64, 8, 128
dev = "cuda"
torch.manual_seed(0)


def w(rows, cols):
    return (torch.rand(rows, cols, device=dev, dtype=torch.float16) - 0.5) * 0.06


layers = [dict(q=w(dim, dim), k=w(kv_heads * hd, dim), v=w(kv_heads * hd, dim), o=w(dim, dim), gate=w(ffn, dim), up=w(ffn, dim),
               down=w(dim, ffn), n1=torch.ones(dim, device=dev, dtype=torch.float16), n2=torch.ones(dim, device=dev, dtype=torch.float16))
          for _ in range(a.layers)]
inv = 1.0 / (500000.0 ** (torch.arange(0, hd, 2, device=dev, dtype=torch.float32) / hd))


def rms(x, g):
    return (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-5)).half() * g


def rope(x, pos):  # x [n, h, hd], interleaved pairs as the GGUF layout
    ang = pos[:, None].float() * inv[None, :]
    c, s = ang.cos()[:, None, :], ang.sin()[:, None, :]
    x0, x1 = x[..., 0::2].float(), x[..., 1::2].float()
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), -1).flatten(-2).half()


def layer(x, L, kc, vc, start):
    n = x.shape[0]
    pos = torch.arange(start, start + n, device=dev)
    h = rms(x, L["n1"])
    q = rope(F.linear(h, L["q"]).view(n, heads, hd), pos)
    k = rope(F.linear(h, L["k"]).view(n, kv_heads, hd), pos)
    v = F.linear(h, L["v"]).view(n, kv_heads, hd)
    kc[start:start + n] = k
    vc[start:start + n] = v
    K = kc[:start + n].repeat_interleave(heads // kv_heads, 1).transpose(0, 1)
    V = vc[:start + n].repeat_interleave(heads // kv_heads, 1).transpose(0, 1)
    att = F.scaled_dot_product_attention(q.transpose(0, 1)[None], K[None], V[None], is_causal=(n > 1 and start == 0))
    x = x + F.linear(att[0].transpose(0, 1).reshape(n, dim), L["o"])
    h = rms(x, L["n2"])
    return x + F.linear(F.silu(F.linear(h, L["gate"])) * F.linear(h, L["up"]), L["down"])


def caches():
    return [(torch.zeros(a.context + a.prefill + a.steps + 8, kv_heads, hd, device=dev, dtype=torch.float16),
             torch.zeros(a.context + a.prefill + a.steps + 8, kv_heads, hd, device=dev, dtype=torch.float16)) for _ in layers]


def timed(fn):
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record(); fn(); e.record(); torch.cuda.synchronize()
    return s.elapsed_time(e) / 1e3


with torch.inference_mode():
    C = caches()
    x = torch.randn(a.context, dim, device=dev, dtype=torch.float16)
    for i, L in enumerate(layers):
        x = layer(x, L, *C[i], 0)
    step = []
    for t in range(a.steps + 3):
        x1 = torch.randn(1, dim, device=dev, dtype=torch.float16)
        def run():
            y = x1
            for i, L in enumerate(layers):
                y = layer(y, L, *C[i], a.context + t)
        dt = timed(run)
        if t >= 3:
            step.append(dt)
    mm_only = []
    for t in range(a.steps + 3):
        x1 = torch.randn(1, dim, device=dev, dtype=torch.float16)
        def run_mm():
            for L in layers:
                for name in ("q", "k", "v", "o", "gate", "up"):
                    F.linear(x1, L[name])
                F.linear(torch.randn(1, ffn, device=dev, dtype=torch.float16), L["down"])
        dt = timed(run_mm)
        if t >= 3:
            mm_only.append(dt)
    xp = torch.randn(a.prefill, dim, device=dev, dtype=torch.float16)
    pre = []
    for r in range(4):
        C = caches()
        def runp():
            y = xp
            for i, L in enumerate(layers):
                y = layer(y, L, *C[i], 0)
        dt = timed(runp)
        if r >= 1:
            pre.append(dt)
    A = torch.rand(8192, 8192, device=dev, dtype=torch.float16)
    B = torch.rand(8192, 8192, device=dev, dtype=torch.float16)
    mm = []
    for r in range(13):
        dt = timed(lambda: torch.matmul(A, B))
        if r >= 3:
            mm.append(dt)
params = 2 * dim * dim + 2 * dim * kv_heads * hd + 3 * dim * ffn
wbytes = params * 2 * a.layers
ds = statistics.median(step)
ps = statistics.median(pre)
print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
print(f"torch eager F16 decode step: {ds * 1e3:.3f} ms ({wbytes / ds / 1e9:.0f} GB/s of weights), {a.layers} layers, {a.context} cached positions")
ms = statistics.median(mm_only)
print(f"torch eager F16 decode matmuls alone (7 F.linear per layer, no attention or norms): {ms * 1e3:.3f} ms ({wbytes / ms / 1e9:.0f} GB/s)")
print(f"torch eager F16 prefill {a.prefill}: {ps * 1e3:.1f} ms = {2 * a.prefill * params * a.layers / ps / 1e12:.1f} TFLOP/s of matrix work")
print(f"torch.matmul 8192^3 F16 peak: {2 * 8192 ** 3 / statistics.median(mm) / 1e12:.0f} TFLOP/s (median of 10)")
