using System.Runtime.InteropServices;

namespace XformerDsl.Kernels;

/// <summary>
/// The process's native heap, where libtorch keeps tensor memory, and the three things the library does about its
/// pages: on glibc, allocations of 32 MiB and more are fresh mappings whose every 4 KiB page faults on first touch, so
/// kernel outputs, gradients and large scratch ask for transparent huge pages before they are written
/// (<see cref="Empty"/>, <see cref="AdviseHugePages"/>); freed tensors of a few MiB stay resident in glibc's arenas, so a
/// loop that allocates and frees similar tensors step after step (the blocks of a reversible stack) hands the free
/// pages back between steps (<see cref="ReturnFreePages"/>); and an application may opt in to keeping large blocks in
/// the heap for reuse (<see cref="KeepAllocationsInHeap"/>, through <see cref="XformerDsl.Training.NativeMemoryPolicy"/>).
/// </summary>
internal static class NativeHeap
{
    /// <summary>
    /// Returns every whole free page of the native heap to the operating system (glibc's <c>malloc_trim(0)</c>, which
    /// also releases free pages in the middle of an arena). Does nothing where the C library is not glibc. The cost is
    /// a walk over the free lists and, later, fresh page faults for the memory reused; call it between steps that
    /// each allocate and free tens of MiB, not in inner loops.
    /// </summary>
    public static void ReturnFreePages()
    {
        if (!OperatingSystem.IsLinux() || s_unavailable)
            return;
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for one, has no malloc_trim): nothing to trim.
            s_unavailable = true;
        }
    }

    private static bool s_unavailable;

    /// <summary>Transparent huge pages are 2 MiB on x86-64 and on arm64 with 4 KiB base pages.</summary>
    public const long HugePageBytes = 2L << 20;

    /// <summary>
    /// Below this size a buffer keeps ordinary pages: glibc's largest dynamic mmap threshold (32 MiB on 64-bit). A
    /// smaller block is a fresh mapping only until blocks of its size have been freed once; after the first steps it
    /// comes back from the heap, already faulted in. Advice there would mark ranges of the heap itself, whose later
    /// re-faults (after the heap is trimmed) each zero a whole 2 MiB page: in a training step of a 4-layer model at
    /// 4,096 tokens that zeroing was 5 % of the time (perf, 2 cores of an AMD EPYC), and 0.7 % without the advice.
    /// </summary>
    public const long HugePageThresholdBytes = 16 * HugePageBytes;

    /// <summary>
    /// Asks the kernel to back the whole huge pages inside <c>[address, address + bytes)</c> with transparent huge
    /// pages (<c>madvise(MADV_HUGEPAGE)</c>), before anything touches them. A fresh 32 MiB buffer otherwise costs 8,192
    /// page faults on first touch (tens of milliseconds on a virtual machine, more than the kernel's own work at long
    /// sequences); with huge pages it costs 16. Only buffers of at least <see cref="HugePageThresholdBytes"/>, only on
    /// Linux; elsewhere, or where transparent huge pages are disabled, it does nothing.
    /// </summary>
    public static unsafe void AdviseHugePages(void* address, long bytes)
    {
        if (bytes < HugePageThresholdBytes || !OperatingSystem.IsLinux() || s_noMadvise)
            return;
        var (first, end) = WholeHugePages((long)address, bytes);
        if (end <= first)
            return;
        try
        {
            // The advice is a hint: failure (EINVAL where THP is compiled out) changes nothing but speed.
            _ = madvise((nint)first, (nuint)(end - first), MadviseHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_noMadvise = true;
        }
    }

    /// <summary>
    /// An uninitialised tensor for a kernel to write, its memory advised to use huge pages when it is large
    /// (<see cref="AdviseHugePages(void*, long)"/>): every kernel output and gradient is allocated here.
    /// </summary>
    public static TorchSharp.torch.Tensor Empty(long[] shape, TorchSharp.torch.ScalarType dtype, TorchSharp.torch.Device device) =>
        WithHugePages(TorchSharp.torch.empty(shape, dtype, device));

    /// <summary><see cref="Empty"/> with the shape, dtype, device and memory layout of <paramref name="like"/>.</summary>
    public static TorchSharp.torch.Tensor EmptyLike(TorchSharp.torch.Tensor like) => WithHugePages(TorchSharp.torch.empty_like(like));

    internal static unsafe TorchSharp.torch.Tensor WithHugePages(TorchSharp.torch.Tensor fresh)
    {
        long bytes = fresh.numel() * fresh.ElementSize;
        if (bytes >= HugePageThresholdBytes && bytes <= TensorMemory.MaxBytes && fresh.device_type == TorchSharp.DeviceType.CPU
            && TensorMemory.IsDenseWithContiguousRows(fresh))
            AdviseHugePages(TensorMemory.Pointer<byte>(fresh), bytes);
        return fresh;
    }

    /// <summary>The whole huge pages inside <c>[start, start + bytes)</c>, as <c>[First, End)</c>; empty when there are none.</summary>
    internal static (long First, long End) WholeHugePages(long start, long bytes)
    {
        long first = (start + HugePageBytes - 1) & ~(HugePageBytes - 1);
        long end = (start + bytes) & ~(HugePageBytes - 1);
        return end > first ? (first, end) : (first, first);
    }

    private const int MadviseHugePage = 14;
    private static bool s_noMadvise;

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int madvise(nint address, nuint length, int advice);

    /// <summary>
    /// Sets glibc's mmap and trim thresholds to <paramref name="bytes"/> (<c>mallopt</c>); false where the C library is
    /// not glibc or refuses the value. See <see cref="XformerDsl.Training.NativeMemoryPolicy"/>.
    /// </summary>
    public static bool KeepAllocationsInHeap(long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0 || bytes > int.MaxValue)
            return false;
        try
        {
            return mallopt(MallocMmapThreshold, (int)bytes) == 1 && mallopt(MallocTrimThreshold, (int)bytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private const int MallocTrimThreshold = -1, MallocMmapThreshold = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
