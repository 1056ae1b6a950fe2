using System.Runtime.InteropServices;

namespace XformerDsl.Kernels;

/// <summary>
/// Runs a kernel's tasks on libtorch's own OpenMP threads, through the libgomp that libtorch loaded
/// (<c>GOMP_parallel</c>, the entry point GCC compiles <c>#pragma omp parallel</c> to). Why: after each of its parallel
/// operations (every matrix product) libgomp's workers spin for a few milliseconds waiting for the next one. A kernel
/// that runs on .NET threads right after a product shares a core with that spinning worker: perf and timings put it at
/// 5–6 ms per kernel call on 2 cores, at every sequence length. Run as the next OpenMP parallel region instead, the
/// kernel's tasks start on the spinning worker at once, and the threads libtorch and the kernels use are one pool that
/// <c>torch.set_num_threads</c> governs. Where no libgomp is loaded (other systems, other builds of libtorch)
/// <see cref="IsAvailable"/> is false and <see cref="KernelParallel"/> uses .NET's thread pool.
/// </summary>
internal static unsafe class OpenMpTeam
{
    private static readonly delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> s_parallel = Resolve();

    /// <summary>Whether libtorch's libgomp was found in this process.</summary>
    public static bool IsAvailable => s_parallel != null;

    /// <summary>
    /// Calls <paramref name="body"/> for every task in [0, <paramref name="count"/>) on a team of up to
    /// <paramref name="threads"/> OpenMP threads (the caller is one of them), handing tasks out one at a time. Each
    /// thread that takes part creates its own scratch. The first exception a task throws stops the hand-out and is
    /// rethrown here once every thread has left the region.
    /// </summary>
    public static void For<TScratch>(int count, int threads, Func<TScratch> createScratch, Action<int, TScratch> body)
        where TScratch : IDisposable
    {
        var work = new TeamWork<TScratch>(count, createScratch, body);
        var handle = GCHandle.Alloc(work);
        try
        {
            s_parallel(&RunMember, GCHandle.ToIntPtr(handle), (uint)threads, 0);
        }
        finally
        {
            handle.Free();
        }
        work.ThrowIfFailed();
    }

    // What each member of the team runs; native code calls it, so nothing may escape it.
    [UnmanagedCallersOnly]
    private static void RunMember(nint data) => ((TeamWork)GCHandle.FromIntPtr(data).Target!).RunMember();

    private abstract class TeamWork
    {
        public abstract void RunMember();
    }

    private sealed class TeamWork<TScratch>(int count, Func<TScratch> createScratch, Action<int, TScratch> body) : TeamWork
        where TScratch : IDisposable
    {
        private int _next;
        private Exception? _failure;

        public override void RunMember()
        {
            try
            {
                // A member that arrives after the last task was handed out has nothing to do and makes no scratch.
                if (Volatile.Read(ref _next) >= count)
                    return;
                using var scratch = createScratch();
                for (int task = Interlocked.Increment(ref _next) - 1; task < count; task = Interlocked.Increment(ref _next) - 1)
                    body(task, scratch);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                Volatile.Write(ref _next, count);
            }
        }

        public void ThrowIfFailed()
        {
            if (_failure is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
        }
    }

    // libtorch's libgomp, found among the libraries this process has mapped (its file name carries a build hash, and the
    // system's libgomp, if loaded too, would be a different pool of threads).
    private static delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> Resolve()
    {
        try
        {
            if (!OperatingSystem.IsLinux())
                return null;
            // Make sure libtorch (and with it its OpenMP runtime) is loaded before looking.
            _ = TorchSharp.torch.get_num_threads();
            var mapped = File.ReadLines("/proc/self/maps")
                .Select(line => line.IndexOf('/') is int slash and >= 0 ? line[slash..] : null)
                .OfType<string>().Distinct().ToList();
            var libgomps = mapped.Where(file => Path.GetFileName(file).StartsWith("libgomp", StringComparison.Ordinal)).ToList();
            // The one beside libtorch_cpu if there is one (the copy libtorch ships), else the only one mapped.
            string? libtorchDirectory = mapped.Where(file => Path.GetFileName(file).StartsWith("libtorch_cpu", StringComparison.Ordinal))
                .Select(Path.GetDirectoryName).FirstOrDefault();
            string? path = libgomps.FirstOrDefault(file => Path.GetDirectoryName(file) == libtorchDirectory)
                ?? (libgomps.Count == 1 ? libgomps[0] : null);
            if (path is null || !NativeLibrary.TryLoad(path, out var library) || !NativeLibrary.TryGetExport(library, "GOMP_parallel", out var parallel))
                return null;
            return (delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)parallel;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
