using TorchSharp;
using XformerDsl.Kernels;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Runtime.Tests.Kernels;

/// <summary>
/// The huge-page advice is only a hint to the operating system, so what can go wrong is ours: the advised range must
/// stay inside the buffer, and large buffers must still be zeroed, aligned and fully usable.
/// </summary>
public sealed class NativeHeapTests
{
    [Theory]
    [InlineData(0L, 8L << 20)]
    [InlineData(4096L, 8L << 20)]
    [InlineData((2L << 20) - 64, 3L << 20)]
    [InlineData(12345L * 64, (32L << 20) + 17)]
    [InlineData(64L, 1L << 20)]
    [InlineData(64L, 4L << 20)]
    public void Advised_range_is_whole_huge_pages_inside_the_buffer(long start, long bytes)
    {
        var (first, end) = NativeHeap.WholeHugePages(start, bytes);
        long firstBoundary = (start + NativeHeap.HugePageBytes - 1) / NativeHeap.HugePageBytes * NativeHeap.HugePageBytes;
        if (first == end)
        {
            // Empty: then no whole huge page fits in the buffer.
            Assert.True(firstBoundary + NativeHeap.HugePageBytes > start + bytes, "a whole huge page fits but none was advised");
            return;
        }
        Assert.True(first >= start && end <= start + bytes, $"[{first}, {end}) leaves [{start}, {start + bytes})");
        Assert.Equal(0, first % NativeHeap.HugePageBytes);
        Assert.Equal(0, (end - first) % NativeHeap.HugePageBytes);
        // Maximal: no further whole huge page fits on either side.
        Assert.True(first - NativeHeap.HugePageBytes < start, "a whole huge page before the range was left out");
        Assert.True(end + NativeHeap.HugePageBytes > start + bytes, "a whole huge page after the range was left out");
    }

    [Fact]
    public unsafe void Large_native_buffer_is_zeroed_aligned_to_a_huge_page_and_writable()
    {
        long length = (NativeHeap.HugePageThresholdBytes / sizeof(float)) + 1000;
        using var buffer = new NativeBuffer<float>(length);

        Assert.Equal(0, (long)buffer.Pointer % NativeHeap.HugePageBytes);
        var span = new Span<float>(buffer.Pointer, (int)length);
        Assert.True(span.IndexOfAnyExcept(0f) < 0, "a large buffer must start zeroed like a small one");
        for (int i = 0; i < span.Length; i++)
            span[i] = i;
        Assert.Equal(length - 1, span[^1]);
    }

    [Fact]
    public void Large_kernel_output_tensor_is_writable_and_keeps_what_is_written()
    {
        using var scope = NewDisposeScope();
        var expected = arange(4L << 20, dtype: ScalarType.Float32).reshape(4, 1 << 20);
        var output = NativeHeap.Empty(new long[] { 4, 1 << 20 }, ScalarType.Float32, CPU);
        Assert.Equal(expected.shape, output.shape);
        output.copy_(expected);
        Assert.True(output.eq(expected).all().item<bool>());
        var like = NativeHeap.EmptyLike(expected.t());
        Assert.Equal(expected.t().shape, like.shape);
        like.copy_(expected.t());
        Assert.True(like.eq(expected.t()).all().item<bool>());
    }
}

/// <summary>The opt-in allocator policy: after it, a large tensor comes from glibc's heap, not from a fresh mapping.</summary>
public sealed class NativeMemoryPolicyTests
{
    [Fact]
    public void Large_tensors_come_from_the_heap_once_the_policy_is_in_force()
    {
        if (!OperatingSystem.IsLinux() || !IsGlibc())
        {
            // Elsewhere the policy is a documented no-op, and says so.
            Assert.False(XformerDsl.Training.NativeMemoryPolicy.ReuseLargeAllocations());
            return;
        }

        Assert.True(XformerDsl.Training.NativeMemoryPolicy.ReuseLargeAllocations());

        const long bytes = 48L << 20;   // above glibc's largest default mmap threshold (32 MiB)
        var before = mallinfo2();
        using (var tensor = empty(new[] { bytes / sizeof(float) }, ScalarType.Float32))
        {
            var during = mallinfo2();
            Assert.True((long)(during.uordblks - before.uordblks) >= bytes,
                $"the heap's in-use bytes grew by {(long)(during.uordblks - before.uordblks)}, expected at least {bytes}");
            Assert.True((long)(during.hblkhd - before.hblkhd) < bytes,
                $"mmapped bytes grew by {(long)(during.hblkhd - before.hblkhd)}: the tensor was still mapped on its own");
        }
    }

    private static bool IsGlibc()
    {
        try
        {
            _ = gnu_get_libc_version();
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern IntPtr gnu_get_libc_version();

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern MallInfo2 mallinfo2();

    private struct MallInfo2
    {
#pragma warning disable CS0649 // filled by glibc
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
#pragma warning restore CS0649
    }
}
