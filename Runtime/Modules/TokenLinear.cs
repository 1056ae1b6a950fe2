using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp.Modules;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// A linear layer applied to the few rows a generation step feeds it (one token per sequence): what generated
/// <c>Step</c> methods call in place of <c>Linear.forward</c>. Without gradients, on the CPU, in float32 or float64 and
/// for at most <see cref="MaxRows"/> rows it computes the product itself, four weight rows at a time in SIMD registers,
/// with large weights split across libtorch's threads; anything else runs the module's own forward. Why: libtorch hands
/// a product with one row to MKL's matrix-vector routine, which on AMD processors runs MKL's generic code path, not its
/// AVX-512 one: on 2 cores of an AMD EPYC (family 25 model 17) that routine was half of a generation step's time.
/// </summary>
public static class TokenLinear
{
    /// <summary>The most rows (tokens across the batch) computed here; more run <c>Linear.forward</c>, a matrix product.</summary>
    public const int MaxRows = 64;

    /// <summary>
    /// <c>layer.forward(x)</c>: <paramref name="x"/> <c>[..., in]</c> to <c>[..., out]</c>, equal to it up to the order
    /// of the float additions.
    /// </summary>
    /// <param name="layer">The linear layer, weight <c>[out, in]</c> and an optional bias <c>[out]</c>.</param>
    /// <param name="x">Its input, the last dimension of size in.</param>
    /// <exception cref="ArgumentException">When the last dimension of <paramref name="x"/> is not the layer's input size.</exception>
    public static Tensor Forward(Linear layer, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return Forward(layer.weight!, layer.bias, x, layer.forward);
    }

    /// <summary>
    /// <c>functional.linear(x, weight, bias)</c>, as <see cref="Forward(Linear, Tensor)"/>: an output head tied to the
    /// token embedding is a weight without a module.
    /// </summary>
    /// <param name="weight">The weight, <c>[out, in]</c>.</param>
    /// <param name="bias">The bias <c>[out]</c>, or null.</param>
    /// <param name="x">The input, the last dimension of size in.</param>
    /// <exception cref="ArgumentException">When the last dimension of <paramref name="x"/> is not the weight's input size.</exception>
    public static Tensor Forward(Tensor weight, Tensor? bias, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return Forward(weight, bias, x, input => nn.functional.linear(input, weight, bias));
    }

    private static Tensor Forward(Tensor weight, Tensor? bias, Tensor x, Func<Tensor, Tensor> libtorch)
    {
        ArgumentNullException.ThrowIfNull(x);
        // size(d), not shape: each shape read allocates an array, and a step makes a few dozen of these calls.
        long inputs = weight.size(1), dims = x.dim();
        if (dims == 0 || x.size((int)dims - 1) != inputs)
            throw new ArgumentException(
                $"{nameof(TokenLinear)}: the input's last dimension must be the layer's input size {inputs} (weight {TensorMemory.Shape(weight)}); got {TensorMemory.Shape(x)}.");
        long rows = x.numel() / inputs;
        if (rows > MaxRows || !TensorMemory.ComputableByCpuLoop(x, weight, bias))
            return libtorch(x);
        var shape = x.shape;
        shape[^1] = weight.size(0);
        var output = empty(shape, x.dtype, x.device);
        if (weight.is_contiguous() && x.is_contiguous() && (bias is null || bias.is_contiguous()))
        {
            SimdDispatch.Run(x.dtype, new ProductCall(weight, bias, x, output, (int)rows));
            return output;
        }
        using (NewDisposeScope())
            SimdDispatch.Run(x.dtype, new ProductCall(weight.contiguous(), bias?.contiguous(), x.contiguous(), output, (int)rows));
        return output;
    }

    /// <summary>
    /// A product per head, as T2R's learned feature map takes it: <paramref name="x"/> <c>[batch, heads, rows, in]</c>
    /// times each head's own <paramref name="weight"/> <c>[heads, out, in]</c>, plus its <paramref name="bias"/>
    /// <c>[heads, out]</c>, giving <c>[batch, heads, rows, out]</c>. For a generation step's few rows it is computed here
    /// (without gradients, on the CPU); otherwise it is <c>x.matmul(weightᵀ) + bias</c>, whose batched product libtorch
    /// hands to MKL with an OpenMP parallel region even for one row per head.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes do not fit, naming them.</exception>
    public static Tensor ForwardPerHead(Tensor weight, Tensor? bias, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(x);
        if (weight.dim() != 3 || x.dim() != 4 || x.size(1) != weight.size(0) || x.size(3) != weight.size(2)
            || (bias is not null && (bias.dim() != 2 || bias.size(0) != weight.size(0) || bias.size(1) != weight.size(1))))
            throw new ArgumentException(
                $"{nameof(TokenLinear)}: x [batch, heads, rows, in] {TensorMemory.Shape(x)} needs weight [heads, out, in] and bias [heads, out]; got weight {TensorMemory.Shape(weight)}" +
                (bias is null ? "." : $", bias {TensorMemory.Shape(bias)}."));
        long batch = x.size(0), heads = x.size(1), rows = x.size(2);
        // The rows each head's weight multiplies, across the batch, as Forward counts them.
        if (batch * rows > MaxRows || !TensorMemory.ComputableByCpuLoop(x, weight, bias))
        {
            var product = x.matmul(weight.transpose(-2, -1));
            return bias is null ? product : product.add_(bias.unsqueeze(1));
        }
        var output = empty(new[] { batch, heads, rows, weight.size(1) }, x.dtype, x.device);
        using (NewDisposeScope())
        {
            var input = x.is_contiguous() ? x : x.contiguous();
            var w = weight.is_contiguous() ? weight : weight.contiguous();
            var b = bias is null || bias.is_contiguous() ? bias : bias.contiguous();
            SimdDispatch.Run(x.dtype, new PerHeadCall(w, b, input, output, (int)batch, (int)heads, (int)rows));
        }
        return output;
    }

    private readonly struct PerHeadCall(Tensor weight, Tensor? bias, Tensor x, Tensor output, int batch, int heads, int rows) : ISimdCall
    {
        public unsafe void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T>
        {
            int outputs = (int)weight.size(1), inputs = (int)weight.size(2);
            T* weights = TensorMemory.Pointer<T>(weight), biases = bias is null ? null : TensorMemory.Pointer<T>(bias);
            T* input = TensorMemory.Pointer<T>(x), result = TensorMemory.Pointer<T>(output);
            for (int b = 0; b < batch; b++)
                for (int h = 0; h < heads; h++)
                {
                    long block = (long)b * heads + h;
                    Multiply<T, TVec, TOps>(weights + (long)h * outputs * inputs, biases == null ? null : biases + (long)h * outputs,
                        input + block * rows * inputs, result + block * rows * outputs, rows, inputs, outputs, outputs);
                }
        }
    }

    private readonly struct ProductCall(Tensor weight, Tensor? bias, Tensor x, Tensor output, int rows) : ISimdCall
    {
        public unsafe void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T>
        {
            int inputs = (int)weight.size(1), outputs = (int)weight.size(0);
            T* weights = TensorMemory.Pointer<T>(weight), biases = bias is null ? null : TensorMemory.Pointer<T>(bias);
            T* input = TensorMemory.Pointer<T>(x), result = TensorMemory.Pointer<T>(output);
            int parts = Parts(inputs, outputs);
            if (parts == 1)
            {
                Multiply<T, TVec, TOps>(weights, biases, input, result, rows, inputs, outputs, outputs);
                return;
            }
            // Each thread streams its own slice of the weight rows (a multiple of four, the last one shorter) and writes
            // those output columns.
            int slice = ((outputs + parts - 1) / parts + 3) / 4 * 4;
            nint w = (nint)weights, b = (nint)biases, xs = (nint)input, y = (nint)result;
            int count = rows;
            KernelParallel.For(parts, parts, () => NoScratch.Instance, (part, _) =>
            {
                int first = part * slice, last = Math.Min(outputs, first + slice);
                if (first < last)
                    Multiply<T, TVec, TOps>((T*)w + (long)first * inputs, b == 0 ? null : (T*)b + first, (T*)xs, (T*)y + first,
                        count, inputs, last - first, outputs);
            });
        }
    }

    // A step reads every weight once, from L3 or memory, and one core's bandwidth is the limit: from a quarter megabyte of
    // float32 weights (a 256 × 256 projection) a second core pays for the fork and join of a parallel region. On 2 cores
    // of an Intel Xeon (family 6 model 207) a 256-wide, 4-layer model's step ran 1.23× as many tokens a second.
    private static int Parts(int inputs, int outputs)
    {
        if ((long)inputs * outputs < ParallelWeights || outputs < 64)
            return 1;
        return Math.Min(KernelParallel.DefaultThreads, outputs / 32);
    }

    // Weights (inputs × outputs) from which a product is split across threads.
    private const long ParallelWeights = 256 * 256;

    // y[r, o] = Σᵢ w[o, i] · x[r, i] + b[o]. Four weight rows at a time, each input vector loaded once for the four, so
    // the loop streams the weights (the cost at generation: every step reads the whole model once) with four running
    // sums in registers; the rows of x (one per sequence) reuse the four weight rows while they are in L1.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Multiply<T, TVec, TOps>(T* weights, T* biases, T* x, T* y, int rows, int inputs, int outputs, int outputStride)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int width = TOps.Count, whole = inputs / width * width;
        int o = 0;
        for (; o + 4 <= outputs; o += 4)
        {
            T* w0 = weights + (long)o * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
            for (int r = 0; r < rows; r++)
            {
                T* input = x + (long)r * inputs;
                TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
                for (int i = 0; i < whole; i += width)
                {
                    TVec v = TOps.Load(input + i);
                    s0 = TOps.MultiplyAdd(TOps.Load(w0 + i), v, s0);
                    s1 = TOps.MultiplyAdd(TOps.Load(w1 + i), v, s1);
                    s2 = TOps.MultiplyAdd(TOps.Load(w2 + i), v, s2);
                    s3 = TOps.MultiplyAdd(TOps.Load(w3 + i), v, s3);
                }
                T t0 = TOps.Sum(s0), t1 = TOps.Sum(s1), t2 = TOps.Sum(s2), t3 = TOps.Sum(s3);
                for (int i = whole; i < inputs; i++)
                {
                    t0 += w0[i] * input[i];
                    t1 += w1[i] * input[i];
                    t2 += w2[i] * input[i];
                    t3 += w3[i] * input[i];
                }
                T* output = y + (long)r * outputStride + o;
                output[0] = biases == null ? t0 : t0 + biases[o];
                output[1] = biases == null ? t1 : t1 + biases[o + 1];
                output[2] = biases == null ? t2 : t2 + biases[o + 2];
                output[3] = biases == null ? t3 : t3 + biases[o + 3];
            }
        }
        for (; o < outputs; o++)
        {
            var weightRow = new ReadOnlySpan<T>(weights + (long)o * inputs, inputs);
            for (int r = 0; r < rows; r++)
            {
                T sum = TensorPrimitives.Dot(weightRow, new ReadOnlySpan<T>(x + (long)r * inputs, inputs));
                y[(long)r * outputStride + o] = biases == null ? sum : sum + biases[o];
            }
        }
    }
}
