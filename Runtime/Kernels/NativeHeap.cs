using System.Runtime.InteropServices;

namespace XformerDsl.Kernels;

/// <summary>
/// The process's native heap, where libtorch keeps tensor memory. Freed tensors return to the allocator, not to the
/// operating system: tensors of a few MiB land in glibc's arenas, and blocks freed between others stay resident, so
/// a loop that allocates and frees similar tensors step after step (the blocks of a reversible stack) grows the
/// resident set with every step although little of it is live. Handing the free pages back between such steps keeps
/// the resident set close to what is live.
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

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
