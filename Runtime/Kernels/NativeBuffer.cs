using System.Runtime.InteropServices;

namespace XformerDsl.Kernels;

/// <summary>
/// A zero-initialised, 64-byte-aligned block of native memory for kernel scratch: outside the GC heap (no pinning, no
/// copying by the collector) and aligned to a cache line, so every vector load of a packed tile is aligned. Kernels
/// dispose their buffers deterministically; no memory pressure is reported to the GC, which would trigger collections.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class NativeBuffer<T> : IDisposable where T : unmanaged
{
    private T* _data;

    /// <summary>Allocates <paramref name="length"/> zeroed elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="length"/> is negative.</exception>
    public NativeBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        nuint bytes = (nuint)Math.Max(1, length) * (nuint)sizeof(T);
        // Large buffers start on a huge page and ask for huge pages before the first touch (see NativeHeap).
        bool large = (long)bytes >= NativeHeap.HugePageThresholdBytes;
        _data = (T*)NativeMemory.AlignedAlloc(bytes, large ? (nuint)NativeHeap.HugePageBytes : 64);
        if (large)
            NativeHeap.AdviseHugePages(_data, (long)bytes);
        NativeMemory.Clear(_data, bytes);
    }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The first element.</summary>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public T* Pointer => _data != null ? _data : throw new ObjectDisposedException(nameof(NativeBuffer<T>));

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        if (_data == null)
            return;
        NativeMemory.AlignedFree(_data);
        _data = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory of a buffer that was not disposed.</summary>
    ~NativeBuffer() => Dispose();
}
