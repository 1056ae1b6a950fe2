using Xunit;

// TorchSharp's default random generator is process-wide: parameter initialisation, dropout, randn and manual_seed all
// share it. Test classes running in parallel would interleave their draws, so a test that seeds and draws twice (to
// compare two paths on the same random input) could see two different inputs. The kernels use every core anyway.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
