using XformerDsl.Attention.Patterns;
using XformerDsl.Autograd;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// The sparse families (see <see cref="Families"/> for their names and options; axial attention, in Families/Axial/,
/// is measured the same way): the generated kernel, the full reference under the pattern as a dense mask (while it
/// fits), and SDPA over the whole sequence (causal when the model is), the baseline a sparse pattern has to beat.
/// Kernels are compiled per declaration, so each option value the suite accepts is a declaration in
/// PatternAttentionModels.cs.
/// </summary>
internal sealed class PatternAttentionBenchmark : IAttentionBenchmarkFamily
{
    internal delegate (Func<Tensor, Tensor, Tensor, Tensor> Generated, Func<Tensor, Tensor, Tensor, Tensor> Reference) Choose(BenchmarkOptions options);

    private readonly Choose _choose;

    internal PatternAttentionBenchmark(string name, string help, Choose choose)
    {
        Name = name;
        Help = help;
        _choose = choose;
    }

    public string Name { get; }

    public string Help { get; }

    /// <summary>local (--block), sliding (--window), strided and fixed (--block is the stride), bigbird.</summary>
    public static IReadOnlyList<PatternAttentionBenchmark> Families { get; } =
    [
        new("local", "[LocalAttention], --block tokens per block: 64, 128 or 256; each query sees its block and the previous one, and the next one when bidirectional; head size 64",
            o => (o.Block, o.Causal) switch
        {
            (64, true) => Pattern<CausalLocal64.SelfAttention.Kernel>(CausalLocal64.Spec),
            (128, true) => Pattern<CausalLocal128.SelfAttention.Kernel>(CausalLocal128.Spec),
            (256, true) => Pattern<CausalLocal256.SelfAttention.Kernel>(CausalLocal256.Spec),
            (64, false) => Pattern<BidirectionalLocal64.SelfAttention.Kernel>(BidirectionalLocal64.Spec),
            (128, false) => Pattern<BidirectionalLocal128.SelfAttention.Kernel>(BidirectionalLocal128.Spec),
            (256, false) => Pattern<BidirectionalLocal256.SelfAttention.Kernel>(BidirectionalLocal256.Spec),
            _ => throw new ArgumentException($"--block {o.Block}: the local benchmark declares blocks of 64, 128 and 256."),
        }),
        new("sliding", "[SlidingWindowAttention], --window keys in each query's window: 128, 256 or 512; head size 64",
            o => (o.Window, o.Causal) switch
        {
            (128, true) => Pattern<CausalSliding128.SelfAttention.Kernel>(CausalSliding128.Spec),
            (256, true) => Pattern<CausalSliding256.SelfAttention.Kernel>(CausalSliding256.Spec),
            (512, true) => Pattern<CausalSliding512.SelfAttention.Kernel>(CausalSliding512.Spec),
            (128, false) => Pattern<BidirectionalSliding128.SelfAttention.Kernel>(BidirectionalSliding128.Spec),
            (256, false) => Pattern<BidirectionalSliding256.SelfAttention.Kernel>(BidirectionalSliding256.Spec),
            (512, false) => Pattern<BidirectionalSliding512.SelfAttention.Kernel>(BidirectionalSliding512.Spec),
            _ => throw new ArgumentException($"--window {o.Window}: the sliding benchmark declares windows of 128, 256 and 512."),
        }),
        new("strided", "[SparseAttention] strided, --block is the stride: 64 (MaxLength 4096); head size 64",
            o => (o.Block, o.Causal) switch
        {
            (64, true) => Pattern<CausalStrided64.SelfAttention.Kernel>(CausalStrided64.Spec),
            (64, false) => Pattern<BidirectionalStrided64.SelfAttention.Kernel>(BidirectionalStrided64.Spec),
            _ => throw new ArgumentException($"--block {o.Block}: the strided benchmark declares stride 64 (MaxLength 4096)."),
        }),
        new("fixed", "[SparseAttention] fixed (Summary 8), --block is the stride: 64 (MaxLength 4096); head size 64",
            o => (o.Block, o.Causal) switch
        {
            (64, true) => Pattern<CausalFixed64.SelfAttention.Kernel>(CausalFixed64.Spec),
            (64, false) => Pattern<BidirectionalFixed64.SelfAttention.Kernel>(BidirectionalFixed64.Spec),
            _ => throw new ArgumentException($"--block {o.Block}: the fixed benchmark declares stride 64 (MaxLength 4096)."),
        }),
        new("bigbird", "[BigBirdAttention], --block the block: 64 (3 window, 2 global, 3 random blocks); head size 64",
            o => (o.Block, o.Causal) switch
        {
            (64, true) => Pattern<CausalBigBird64.SelfAttention.Kernel>(CausalBigBird64.Spec),
            (64, false) => Pattern<BidirectionalBigBird64.SelfAttention.Kernel>(BidirectionalBigBird64.Spec),
            _ => throw new ArgumentException($"--block {o.Block}: the bigbird benchmark declares blocks of 64."),
        }),
    ];

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != 64)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the {Name} benchmark declares kernels for head size 64 only.");
        var (generated, reference) = _choose(o);
        bool causal = o.Causal;
        // The reference keeps about eight [batch, heads, seq, seq] float32 matrices alive through the backward pass.
        double ReferenceBytes(int seq) => 8.0 * o.Batch * o.Heads * seq * (double)seq * sizeof(float);
        return
        [
            new("generated", generated),
            new("reference", reference, ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }

    private static (Func<Tensor, Tensor, Tensor, Tensor>, Func<Tensor, Tensor, Tensor, Tensor>) Pattern<TKernel>(ModelSpec spec) where TKernel : IFusedAttentionKernel
    {
        var pattern = (PatternAttentionSpec)spec.Attention[0].Attention;
        return ((q, k, v) => FusedAttention<TKernel>.Apply(q, k, v, null),
                (q, k, v) => PatternAttentionReference.Forward(q, k, v, pattern, spec.Causal));
    }}
