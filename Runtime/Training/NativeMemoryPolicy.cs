using XformerDsl.Kernels;

namespace XformerDsl.Training;

/// <summary>
/// An opt-in, process-wide allocator policy for training on long sequences on Linux. By default glibc hands every
/// allocation of 32 MiB or more (a <c>[1, 8, 16384, 64]</c> float32 tensor, for one) out as fresh pages and returns
/// them on free, so each training step pays a page fault per 4 KiB of every large tensor libtorch creates: sorting and
/// gathering in LSH attention, projections, gradients. On a virtual machine those faults can cost more than the
/// arithmetic (README, Benchmarks). The library's own kernels avoid most of that by asking for huge pages; this policy
/// covers libtorch's tensors too. Nothing in the library calls it: an application decides, once, at start-up.
/// </summary>
public static class NativeMemoryPolicy
{
    /// <summary>The default bound: allocations up to 1 GiB come from the heap.</summary>
    public const long DefaultLargestHeapAllocation = 1L << 30;

    /// <summary>
    /// Makes glibc serve allocations up to <paramref name="largestHeapAllocation"/> bytes from its heap and keep freed
    /// memory for reuse instead of returning it to the system (the same as starting the process with
    /// <c>MALLOC_MMAP_THRESHOLD_</c> and <c>MALLOC_TRIM_THRESHOLD_</c> set to that value). The next step then reuses
    /// the previous step's pages without faulting them in again. The cost: the process keeps its peak footprint until
    /// it exits (reversible layers still hand free pages back between blocks).
    /// </summary>
    /// <param name="largestHeapAllocation">Allocations up to this many bytes come from the heap; at most 2 GiB − 1.</param>
    /// <returns>True when the policy is in force; false on other systems or C libraries, where nothing changes.</returns>
    public static bool ReuseLargeAllocations(long largestHeapAllocation = DefaultLargestHeapAllocation) =>
        NativeHeap.KeepAllocationsInHeap(largestHeapAllocation);
}
