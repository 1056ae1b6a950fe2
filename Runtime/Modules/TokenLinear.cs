using System.Numerics;
using System.Numerics.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp.Modules;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// A linear layer applied to the few rows a generation step feeds it (one token per sequence): what generated
/// <c>Step</c> methods call in place of <c>Linear.forward</c>. Without gradients, on the CPU, in float32 or float64 and
/// for at most <see cref="MaxRows"/> rows it computes each output as one <see cref="TensorPrimitives.Dot{T}"/> of a
/// weight row and an input row; anything else runs the module's own forward. Why: libtorch hands a product with one row
/// to MKL's matrix-vector routine, which on AMD processors runs MKL's generic code path, not its AVX-512 one: on 2 cores
/// of an AMD EPYC (family 25 model 17) that routine was half of a generation step's time.
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
        long inputs = weight.shape[1];
        if (x.dim() == 0 || x.shape[^1] != inputs)
            throw new ArgumentException(
                $"{nameof(TokenLinear)}: the input's last dimension must be the layer's input size {inputs} (weight {TensorMemory.Shape(weight)}); got {TensorMemory.Shape(x)}.");
        long rows = x.numel() / inputs;
        if (rows > MaxRows || !TensorMemory.ComputableByCpuLoop(x, weight, bias))
            return libtorch(x);
        return x.dtype == ScalarType.Float32 ? Compute<float>(weight, bias, x, rows) : Compute<double>(weight, bias, x, rows);
    }

    private static unsafe Tensor Compute<T>(Tensor weight, Tensor? bias, Tensor x, long rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inputs = (int)weight.shape[1], outputs = (int)weight.shape[0];
        var shape = x.shape.ToArray();
        shape[^1] = outputs;
        var output = empty(shape, x.dtype, x.device);
        using (NewDisposeScope())
        {
            var w = weight.is_contiguous() ? weight : weight.contiguous();
            var input = x.is_contiguous() ? x : x.contiguous();
            var b = bias is null ? null : bias.is_contiguous() ? bias : bias.contiguous();
            T* weights = TensorMemory.Pointer<T>(w), inputRows = TensorMemory.Pointer<T>(input), outputRows = TensorMemory.Pointer<T>(output);
            T* biases = b is null ? null : TensorMemory.Pointer<T>(b);
            // Each weight row is read once for all the rows: at generation the weights, not the arithmetic, are the cost
            // (every step streams the whole model through the caches). One thread: splitting the outputs over libtorch's
            // intra-op threads was slower at batch 1 (the hand-off costs more than the streaming it shares).
            for (int o = 0; o < outputs; o++)
            {
                var weightRow = new ReadOnlySpan<T>(weights + (long)o * inputs, inputs);
                T offset = biases == null ? T.Zero : biases[o];
                for (long row = 0; row < rows; row++)
                    outputRows[row * outputs + o] = TensorPrimitives.Dot(weightRow, new ReadOnlySpan<T>(inputRows + row * inputs, inputs)) + offset;
            }
        }
        return output;
    }
}
