using System.Numerics;
using TorchSharp;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>What every fused attention kernel (softmax or linear) needs of its tensors, and the softmax kernels' arguments.</summary>
public static class FusedKernelSupport
{
    /// <summary>
    /// Null when a fused CPU kernel can read these tensors (the first is the query, whose dtype is checked); otherwise why
    /// not: a device other than the CPU, a dtype other than float32 and float64, empty tensors, a tensor over 2 GiB, or a
    /// machine without SIMD acceleration.
    /// </summary>
    public static string? WhyNotFused(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask)
    {
        Tensor?[] all = [query, key, value, keyPaddingMask];
        if (all.Any(t => t is not null && t.device_type != DeviceType.CPU))
            return $"the fused kernel runs on the CPU; these tensors are on {query.device}";
        if (query.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            return $"the fused kernel runs on float32 and float64; these tensors are {query.dtype}";
        if (query.numel() == 0 || key.numel() == 0)
            return "the tensors are empty";
        if (all.Any(t => t is not null && t.numel() * t.ElementSize > TensorMemory.MaxBytes))
            return "a tensor is larger than 2 GiB";
        if (!SimdWidth.Any)
            return "this machine has no SIMD acceleration";
        return null;
    }

    /// <summary>
    /// The arguments of a softmax attention kernel over <c>[batch, heads, rows, headDim]</c> tensors the kernel can read
    /// in place (see <see cref="TensorMemory.Readable"/>), scaled by 1/√<paramref name="headDim"/>, on the default threads.
    /// A bias-only kernel has no query and key (null); the output <c>[batch, heads, queries, headDim]</c> gives the sizes.
    /// </summary>
    public static unsafe AttentionForwardArguments<T> ForwardArguments<T>(Tensor? query, Tensor? key, Tensor value, Tensor output,
        Tensor logSumExp, Tensor? keyMask, int headDim)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            Batch = (int)output.shape[0],
            Heads = (int)output.shape[1],
            Queries = (int)output.shape[2],
            Keys = (int)value.shape[2],
            Query = query is null ? default : TensorMemory.HeadRowsOf<T>(query),
            Key = key is null ? default : TensorMemory.HeadRowsOf<T>(key),
            Value = TensorMemory.HeadRowsOf<T>(value),
            Output = TensorMemory.HeadRowsOf<T>(output),
            LogSumExp = TensorMemory.Pointer<T>(logSumExp),
            KeyMask = keyMask is null ? null : TensorMemory.Pointer<byte>(keyMask),
            Scale = T.One / T.Sqrt(T.CreateChecked(headDim)),
            Threads = KernelParallel.DefaultThreads,
        };

    /// <summary>
    /// The arguments of a softmax attention kernel's backward pass, from its forward arguments and the gradients (no
    /// query and key gradients for a bias-only kernel).
    /// </summary>
    public static AttentionBackwardArguments<T> BackwardArguments<T>(AttentionForwardArguments<T> forward, Tensor outputGradient,
        Tensor? queryGradient, Tensor? keyGradient, Tensor valueGradient)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            Forward = forward,
            OutputGradient = TensorMemory.HeadRowsOf<T>(outputGradient),
            QueryGradient = queryGradient is null ? default : TensorMemory.HeadRowsOf<T>(queryGradient),
            KeyGradient = keyGradient is null ? default : TensorMemory.HeadRowsOf<T>(keyGradient),
            ValueGradient = TensorMemory.HeadRowsOf<T>(valueGradient),
        };
}
