using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace XformerDsl.Kernels;

/// <summary>
/// How kernels reach a tensor's memory. <see cref="Tensor.bytes"/> is TorchSharp's public route to it and needs a
/// contiguous tensor; a dense tensor with permuted strides (such as a head-split view) has a contiguous permutation that
/// starts at the same element, which is what <see cref="Pointer{T}"/> reads through.
/// </summary>
public static unsafe class TensorMemory
{
    /// <summary>The largest tensor <see cref="Tensor.bytes"/> can expose.</summary>
    public const long MaxBytes = int.MaxValue;

    /// <summary>
    /// True when the tensor's elements fill a block of memory without gaps or overlaps in some order of its
    /// dimensions, with the last dimension contiguous: what <see cref="HeadRowsOf{T}"/> needs.
    /// </summary>
    public static bool IsDenseWithContiguousRows(Tensor tensor)
    {
        if (tensor.dim() == 0 || tensor.numel() == 0)
            return false;
        if (tensor.size(-1) > 1 && tensor.stride(-1) != 1)
            return false;
        using var view = tensor.permute(StrideOrder(tensor));
        return view.is_contiguous();
    }

    /// <summary>The address of element [0, …, 0] of a tensor for which <see cref="IsDenseWithContiguousRows"/> holds.</summary>
    /// <exception cref="ArgumentException">When the tensor is not dense, or larger than <see cref="MaxBytes"/>.</exception>
    public static T* Pointer<T>(Tensor tensor) where T : unmanaged
    {
        // A contiguous tensor is its own densest view: no need to order its strides, which costs more than a small
        // step's arithmetic (generation calls this a few times per layer and token).
        bool contiguous = tensor.dim() > 0 && tensor.numel() > 0 && tensor.is_contiguous();
        if (!contiguous && !IsDenseWithContiguousRows(tensor))
            throw new ArgumentException($"A kernel needs a dense tensor with contiguous rows; got shape {Shape(tensor)} with strides [{string.Join(", ", tensor.stride())}]. Call .contiguous() first.");
        if (tensor.numel() * tensor.ElementSize > MaxBytes)
            throw new ArgumentException($"A kernel reads tensors of at most {MaxBytes} bytes; shape {Shape(tensor)} holds {tensor.numel() * tensor.ElementSize}.");
        if (contiguous)
            return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
        using var view = tensor.permute(StrideOrder(tensor));
        return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(view.bytes));
    }

    /// <summary>
    /// The first <paramref name="count"/> elements of a contiguous CPU tensor, in place; the caller keeps the tensor alive
    /// while it uses the span.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Pointer{T}"/>, or when the tensor holds fewer than <paramref name="count"/> elements.</exception>
    public static Span<T> Elements<T>(Tensor tensor, int count) where T : unmanaged
    {
        if (count > tensor.numel())
            throw new ArgumentException($"The tensor of shape {Shape(tensor)} holds {tensor.numel()} elements, not {count}.");
        return new Span<T>(Pointer<T>(tensor), count);
    }

    /// <summary>A <c>[batch, heads, rows, width]</c> tensor (possibly a permuted view) as <see cref="HeadRows{T}"/>.</summary>
    public static HeadRows<T> HeadRowsOf<T>(Tensor tensor) where T : unmanaged
    {
        if (tensor.dim() != 4)
            throw new ArgumentException($"Expected a [batch, heads, rows, width] tensor; got shape {Shape(tensor)}.");
        return new HeadRows<T>(Pointer<T>(tensor), tensor.stride(0), tensor.stride(1), tensor.stride(2));
    }

    /// <summary>
    /// A <c>[batch, heads, rows, width]</c> view with a contiguous last dimension and any other strides (0 for a
    /// broadcast dimension, a larger row stride for a narrowed matrix) as <see cref="HeadRows{T}"/>, read in place: the
    /// score bias's route, so a learned <c>[heads, MaxLength, MaxLength]</c> matrix narrowed to the sequence is not copied.
    /// The caller keeps the view alive while the kernel runs.
    /// </summary>
    /// <exception cref="ArgumentException">When the tensor is not four-dimensional or its last dimension is strided.</exception>
    public static HeadRows<T> StridedHeadRowsOf<T>(Tensor tensor) where T : unmanaged
    {
        if (tensor.dim() != 4 || tensor.numel() == 0 || (tensor.size(3) > 1 && tensor.stride(3) != 1))
            throw new ArgumentException($"Expected a non-empty [batch, heads, rows, width] view with contiguous rows; got shape {Shape(tensor)} with strides [{string.Join(", ", tensor.stride())}].");
        // A contiguous tensor (a decoding step's head-split projection is one) starts where its bytes do: no view needed.
        if (tensor.is_contiguous())
            return new HeadRows<T>(Pointer<T>(tensor), tensor.stride(0), tensor.stride(1), tensor.stride(2));
        // Element [0, 0, 0, 0] alone is a contiguous one-element view of the same storage, so its bytes start at the view's first element.
        using var first = tensor[0, 0, 0].narrow(0, 0, 1);
        T* data = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
        return new HeadRows<T>(data, tensor.stride(0), tensor.stride(1), tensor.stride(2));
    }

    /// <summary>
    /// True when a loop on the CPU can stand in for TorchSharp operations on these tensors (nulls skipped): every one on
    /// the CPU, float32 or float64, all of the first one's dtype, and no gradient to record. What the decoding steps'
    /// loops (<c>TokenLinear</c>, the key-value slots, linear attention's state) ask before they run.
    /// </summary>
    public static bool ComputableByCpuLoop(params ReadOnlySpan<Tensor?> tensors)
    {
        ScalarType? dtype = null;
        bool recordsGradients = false;
        foreach (var tensor in tensors)
        {
            if (tensor is null)
                continue;
            dtype ??= tensor.dtype;
            if (tensor.device_type != TorchSharp.DeviceType.CPU || tensor.dtype != dtype || dtype is not (ScalarType.Float32 or ScalarType.Float64))
                return false;
            recordsGradients |= tensor.requires_grad;
        }
        return dtype is not null && !(recordsGradients && is_grad_enabled());
    }

    /// <summary>The tensor itself when kernels can read it in place, else a contiguous copy.</summary>
    public static Tensor Readable(Tensor tensor) => IsDenseWithContiguousRows(tensor) ? tensor : tensor.contiguous();

    /// <summary>
    /// The elements of a small tensor (a step's positions, one per sequence) as an array: copied straight from memory
    /// for a contiguous CPU tensor, else through <c>cpu()</c> and <c>data</c>, which cost a few native calls each.
    /// </summary>
    /// <exception cref="ArgumentException">When the tensor's dtype is not <typeparamref name="T"/>'s, or it has more than int.MaxValue elements.</exception>
    public static T[] CopyToArray<T>(Tensor tensor) where T : unmanaged
    {
        if (tensor.device_type != TorchSharp.DeviceType.CPU || !tensor.is_contiguous())
            return tensor.cpu().data<T>().ToArray();
        if (tensor.numel() == 0)
            return [];
        return MemoryMarshal.Cast<byte, T>(tensor.bytes).ToArray();
    }

    /// <summary>Formats a shape as <c>[2, 8, 128, 64]</c>.</summary>
    public static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";

    // Dimensions from the largest stride to the smallest; size-1 dimensions go first, where their stride cannot matter.
    private static long[] StrideOrder(Tensor tensor) =>
        Enumerable.Range(0, (int)tensor.dim())
            .OrderByDescending(d => tensor.shape[d] == 1 ? long.MaxValue : tensor.stride(d))
            .ThenBy(d => d)
            .Select(d => (long)d)
            .ToArray();
}
