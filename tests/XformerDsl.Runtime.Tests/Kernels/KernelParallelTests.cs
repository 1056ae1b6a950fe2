using System.Collections.Concurrent;
using XformerDsl.Kernels;
using Xunit;

namespace XformerDsl.Runtime.Tests.Kernels;

/// <summary>
/// The kernels' task runner, on libtorch's OpenMP threads and on .NET's thread pool alike: every task runs exactly once,
/// each thread's tasks share one scratch that is disposed, both threads take part, and a task's exception reaches the
/// caller after the other tasks stop.
/// </summary>
public sealed class KernelParallelTests
{
    public static TheoryData<string> Runners => new() { "openmp", "threadpool" };

    [Fact]
    public void Libtorch_s_openmp_runtime_is_found_on_linux()
    {
        // The kernels' threads are libtorch's only if this holds; elsewhere the thread pool serves.
        _ = TorchSharp.torch.get_num_threads();
        Assert.Equal(OperatingSystem.IsLinux(), OpenMpTeam.IsAvailable);
    }

    [Theory]
    [MemberData(nameof(Runners))]
    public void Every_task_runs_once_with_one_scratch_per_thread_and_the_scratches_are_disposed(string runner)
    {
        if (runner == "openmp" && !OpenMpTeam.IsAvailable)
            return;
        const int count = 4000;
        var runs = new int[count];
        var scratches = new ConcurrentBag<Scratch>();
        var threadsOfScratch = new ConcurrentDictionary<Scratch, ConcurrentDictionary<int, byte>>();
        int ThreadsSeen() => threadsOfScratch.Values.SelectMany(threads => threads.Keys).Distinct().Count();
        Run(runner, count, 2, () => { var s = new Scratch(); scratches.Add(s); return s; }, (task, scratch) =>
        {
            Interlocked.Increment(ref runs[task]);
            threadsOfScratch.GetOrAdd(scratch, _ => new()).TryAdd(Environment.CurrentManagedThreadId, 0);
            // Task 0 holds its thread until another thread has run a task, so "both threads take part" does not depend on
            // how fast a busy thread pool (other tests run beside this one) lends a second worker; a runner that never
            // uses a second thread still fails, after the deadline.
            if (task == 0 && Environment.ProcessorCount > 1)
                SpinWait.SpinUntil(() => ThreadsSeen() > 1, TimeSpan.FromSeconds(10));
        });
        Assert.All(runs, r => Assert.Equal(1, r));
        Assert.All(scratches, s => Assert.True(s.Disposed));
        Assert.All(threadsOfScratch.Values, threads => Assert.Single(threads));
        if (Environment.ProcessorCount > 1)
            Assert.Equal(2, ThreadsSeen());
    }

    [Theory]
    [MemberData(nameof(Runners))]
    public void A_task_s_exception_reaches_the_caller_and_stops_the_rest(string runner)
    {
        if (runner == "openmp" && !OpenMpTeam.IsAvailable)
            return;
        int ran = 0;
        var thrown = Assert.ThrowsAny<Exception>(() => Run(runner, 100_000, 2, () => new Scratch(), (task, _) =>
        {
            Interlocked.Increment(ref ran);
            // Tasks as long as a small kernel tile's: with empty ones the other thread could finish all 100,000 while the
            // first exception (a cold one takes milliseconds to throw) is still on its way to the runner.
            Thread.SpinWait(2000);
            if (task == 10)
                throw new InvalidOperationException("task 10 failed");
        }));
        var failure = thrown is AggregateException aggregate ? aggregate.InnerExceptions.Single() : thrown;
        Assert.Equal("task 10 failed", failure.Message);
        Assert.True(ran < 100_000, $"{ran} tasks ran after the failure.");
        // The runner is usable again afterwards.
        int after = 0;
        Run(runner, 50, 2, () => new Scratch(), (_, _) => Interlocked.Increment(ref after));
        Assert.Equal(50, after);
    }

    private static void Run(string runner, int count, int threads, Func<Scratch> create, Action<int, Scratch> body)
    {
        if (runner == "openmp")
            OpenMpTeam.For(count, threads, create, body);
        else
            KernelParallel.OnThreadPool(count, threads, create, body);
    }

    private sealed class Scratch : IDisposable
    {
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }
}
