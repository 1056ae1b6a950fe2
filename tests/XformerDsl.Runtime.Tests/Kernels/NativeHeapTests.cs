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
