using System.Globalization;
using Spectre.Console;
using TorchSharp;
using XformerDsl.Attention.LongShortRange;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>One row of the conv suite's JSON: the fields other tools read, in this order.</summary>
internal sealed record ConvResult(
    string Suite, string Kind, int Kernel, string Impl, int Batch, int Channels, int Heads, int Seq, bool Causal,
    double? ForwardMs, double? ForwardBackwardMs, double? PeakMemoryMb);

/// <summary>
/// The kernels the suite measures are the generator's: this Lite Transformer declares a layer of each benchmarked kernel
/// size in both stacks, so its encoder holds the centred <c>Convolution{K}</c> shapes and its decoder the causal ones.
/// </summary>
[Transformer(Vocab = 8, Dim = 512, Depth = 4, MaxLength = 16)]
[Encoder(Depth = 4)]
[LongShortRangeAttention(Heads = 4, KernelSizes = new[] { 3, 7, 15, 31 })]
public partial class ConvolutionKernelModel;

/// <summary>
/// The conv suite: the convolution branch of Lite Transformer's Long-Short Range Attention, lightweight or dynamic
/// convolution of <c>[batch, seq, channels]</c> with final (normalised) weights, per kernel size and sequence length:
/// the median time of a forward pass (no gradients), of a forward and backward pass (gradients of the input and the
/// weights), and the peak memory of one forward and backward pass, for the fused kernel through its per-size struct
/// (impl <c>generated</c>) and <see cref="ConvolutionReference"/> (impl <c>reference</c>), in one run.
/// </summary>
internal static class ConvSuite
{
    /// <summary>Lite Transformer's convolution branch: 256 channels (half of a 512-wide model) in 4 heads.</summary>
    public const int DefaultChannels = 256, DefaultHeads = 4;

    /// <summary>The sequence lengths measured unless <c>--seq</c> is given.</summary>
    public static readonly int[] DefaultSeq = [1024, 4096];

    /// <summary>The <c>--kind</c> values.</summary>
    public static readonly string[] Kinds = ["dynamic", "lightweight"];

    /// <summary>The kernel sizes the suite declares shapes for, as the generator would for a model that declares them.</summary>
    public static IReadOnlyList<int> KernelSizes => s_shapes.Select(s => s.KernelSize).Distinct().ToList();

    private static readonly Shape[] s_shapes =
    [
        Shape.Of<ConvolutionKernelModel.Decoder.SelfAttention.Convolution3>(), Shape.Of<ConvolutionKernelModel.Encoder.SelfAttention.Convolution3>(),
        Shape.Of<ConvolutionKernelModel.Decoder.SelfAttention.Convolution7>(), Shape.Of<ConvolutionKernelModel.Encoder.SelfAttention.Convolution7>(),
        Shape.Of<ConvolutionKernelModel.Decoder.SelfAttention.Convolution15>(), Shape.Of<ConvolutionKernelModel.Encoder.SelfAttention.Convolution15>(),
        Shape.Of<ConvolutionKernelModel.Decoder.SelfAttention.Convolution31>(), Shape.Of<ConvolutionKernelModel.Encoder.SelfAttention.Convolution31>(),
    ];

    /// <summary>The suite's line in the usage text.</summary>
    public static string Help { get; } =
        $"forward and forward+backward time and peak memory of Lite Transformer's convolution branch, --kind " +
        $"{CommandLine.OneOf(Kinds)} convolution (default {Kinds[0]}) of --channels channels in --heads heads (default " +
        $"{DefaultChannels} in {DefaultHeads}) for each --kernel {string.Join(",", s_shapes.Select(s => s.KernelSize).Distinct())} " +
        $"and --seq (default {string.Join(",", DefaultSeq)}), causal or centred (--causal): generated (the fused kernel for " +
        "that kernel size) against reference (composed from TorchSharp ops)";

    private sealed record Shape(int KernelSize, bool Causal, Func<Tensor, Tensor, Tensor> Lightweight, Func<Tensor, Tensor, Tensor> Dynamic)
    {
        public static Shape Of<TShape>() where TShape : struct, IConvolutionShape =>
            new(TShape.KernelSize, TShape.Causal, (x, w) => FusedConvolution<TShape>.Lightweight(x, w), FusedConvolution<TShape>.Dynamic);
    }

    public static List<ConvResult> Run(BenchmarkOptions o)
    {
        if (!Kinds.Contains(o.Kind))
            throw new ArgumentException($"--kind {o.Kind}: the conv suite measures {CommandLine.OneOf(Kinds)} convolution.");
        var unknown = o.Kernel.Where(k => !KernelSizes.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"--kernel {string.Join(",", unknown)}: the conv suite declares kernels of sizes {string.Join(", ", KernelSizes)} only " +
                "(a model gets a kernel for every size it declares; the suite declares these).");
        int heads = o.HeadsGiven ? o.Heads : DefaultHeads;
        if (o.Channels % heads != 0)
            throw new ArgumentException($"--channels {o.Channels} --heads {heads}: the heads must divide the channels.");
        bool dynamic = o.Kind == "dynamic";
        var implementations = new List<(string Name, Func<Shape, Func<Tensor, Tensor, Tensor>> Convolve)>
        {
            ("generated", shape => dynamic ? shape.Dynamic : shape.Lightweight),
            ("reference", shape => dynamic ? (x, w) => ConvolutionReference.Dynamic(x, w, shape.Causal) : (x, w) => ConvolutionReference.Lightweight(x, w, shape.Causal)),
        }.Where(i => o.Impl.Length == 0 || o.Impl.Contains(i.Name)).ToList();
        if (implementations.Count == 0)
            throw new ArgumentException($"--impl {string.Join(",", o.Impl)} names neither generated nor reference.");

        var results = new List<ConvResult>();
        foreach (int kernel in o.Kernel)
        {
            var shape = s_shapes.Single(s => s.KernelSize == kernel && s.Causal == o.Causal);
            foreach (int seq in o.SeqGiven ? o.Seq : DefaultSeq)
            {
                AnsiConsole.MarkupLine($"[grey]kernel {kernel}, seq {seq}: measuring {string.Join(", ", implementations.Select(i => i.Name))}...[/]");
                var measured = Measure(implementations.Select(i => i.Convolve(shape)).ToList(), o, dynamic, heads, kernel, seq);
                for (int i = 0; i < implementations.Count; i++)
                    results.Add(new ConvResult("conv", o.Kind, kernel, implementations[i].Name, o.Batch, o.Channels, heads, seq, o.Causal,
                        Round(measured[i].Forward), Round(measured[i].ForwardBackward), measured[i].Peak is double p ? Round(p) : null));
            }
        }
        return results;
    }

    private static List<(double Forward, double ForwardBackward, double? Peak)> Measure(
        IReadOnlyList<Func<Tensor, Tensor, Tensor>> convolutions, BenchmarkOptions o, bool dynamic, int heads, int kernel, int seq)
    {
        manual_seed(seq + kernel);
        using var input = randn(o.Batch, seq, o.Channels);
        using var logits = dynamic ? randn(o.Batch, seq, heads, kernel) : randn(heads, kernel);
        using var weights = logits.softmax(-1);
        using var upstream = randn(o.Batch, seq, o.Channels);

        Action Forward(Func<Tensor, Tensor, Tensor> convolve) => () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            convolve(input, weights);
        };

        Action ForwardBackward(Func<Tensor, Tensor, Tensor> convolve) => () =>
        {
            using var scope = NewDisposeScope();
            var x = input.detach().requires_grad_();
            var w = weights.detach().requires_grad_();
            // Gradients returned rather than accumulated into .grad, as inside a model (see the attention suite).
            torch.autograd.grad([convolve(x, w)], [x, w], [upstream]);
        };

        var budget = o.Budget();
        var warmup = TimeSpan.FromSeconds(1);
        var forward = Measurement.MedianMilliseconds(convolutions.Select(Forward).ToList(), o.Warmup, warmup, o.Repetitions, budget);
        var forwardBackward = Measurement.MedianMilliseconds(convolutions.Select(ForwardBackward).ToList(), o.Warmup, warmup, o.Repetitions, budget);
        return convolutions.Select((c, i) => (forward[i], forwardBackward[i], Measurement.PeakMemoryMebibytes(ForwardBackward(c)))).ToList();
    }

    /// <summary>The results as a table, with the generated kernel's forward+backward time relative to the reference's.</summary>
    public static Table Table(IReadOnlyList<ConvResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("kind").AddColumn(new TableColumn("kernel").RightAligned()).AddColumn(new TableColumn("seq").RightAligned()).AddColumn("impl")
            .AddColumn(new TableColumn("forward ms").RightAligned())
            .AddColumn(new TableColumn("fwd+bwd ms").RightAligned())
            .AddColumn(new TableColumn("peak MiB").RightAligned())
            .AddColumn(new TableColumn("fwd+bwd vs reference").RightAligned());
        foreach (var r in results)
        {
            var reference = results.FirstOrDefault(x => x.Kernel == r.Kernel && x.Seq == r.Seq && x.Impl == "reference")?.ForwardBackwardMs;
            string ratio = r.Impl == "reference" ? "baseline"
                : reference is double b && r.ForwardBackwardMs is double t && t > 0
                    ? Measurement.Ratio(t, b)
                    : "";
            table.AddRow(r.Kind, Number(r.Kernel), Number(r.Seq), r.Impl, Cell(r.ForwardMs), Cell(r.ForwardBackwardMs), Cell(r.PeakMemoryMb), ratio);
        }
        return table;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Cell(double? value) => value is double v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static double Round(double value) => Math.Round(value, 2);
}
