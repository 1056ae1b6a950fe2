namespace XformerDsl.Kernels;

/// <summary>
/// Runs a kernel's independent tasks on up to a given number of threads, each worker with its own scratch. Tasks are
/// handed out dynamically, so uneven tasks (the late query tiles of a causal kernel) balance out; kernels number their
/// heaviest tasks first. The threads are libtorch's OpenMP threads where its libgomp is found (see
/// <see cref="OpenMpTeam"/>), .NET's thread pool otherwise.
/// </summary>
public static class KernelParallel
{
    /// <summary>
    /// Calls <paramref name="body"/> for every task in [0, <paramref name="count"/>), on at most
    /// <paramref name="threads"/> threads. Each worker creates one scratch with <paramref name="createScratch"/> and
    /// disposes it when done. With one thread or one task everything runs on the calling thread.
    /// </summary>
    public static void For<TScratch>(int count, int threads, Func<TScratch> createScratch, Action<int, TScratch> body)
        where TScratch : IDisposable
    {
        ArgumentNullException.ThrowIfNull(createScratch);
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0)
            return;
        if (threads <= 1 || count == 1)
        {
            using var scratch = createScratch();
            for (int task = 0; task < count; task++)
                body(task, scratch);
            return;
        }
        if (OpenMpTeam.IsAvailable)
            OpenMpTeam.For(count, threads, createScratch, body);
        else
            OnThreadPool(count, threads, createScratch, body);
    }

    /// <summary>The tasks on .NET's thread pool: where libtorch's OpenMP runtime is not found (see <see cref="OpenMpTeam"/>).</summary>
    internal static void OnThreadPool<TScratch>(int count, int threads, Func<TScratch> createScratch, Action<int, TScratch> body)
        where TScratch : IDisposable
    {
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads },
            createScratch,
            (task, _, scratch) =>
            {
                body(task, scratch);
                return scratch;
            },
            scratch => scratch.Dispose());
    }

    /// <summary>The number of threads kernels use: TorchSharp's intra-op thread count, so one setting governs both.</summary>
    public static int DefaultThreads => Math.Max(1, TorchSharp.torch.get_num_threads());
}
