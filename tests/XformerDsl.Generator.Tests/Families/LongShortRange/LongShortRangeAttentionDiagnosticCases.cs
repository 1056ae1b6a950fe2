using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[LongShortRangeAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and
/// broken ones the generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class LongShortRangeAttentionDiagnosticCases : FamilyDiagnosticCases
{
    private const string Encoder = "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = false)]\n";

    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0090", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|AttentionWidth = 256|])]\npublic partial class TinyGpt;",
            "AttentionWidth = 256 leaves Dim = 256 no two branches; the attention branch needs from 1 to Dim - 1 = 255 channels and the convolution the rest, so use AttentionWidth = 128" },
        { "XF0091", Usings + Transformer + "[LongShortRangeAttention([|Heads = 3|])]\npublic partial class TinyGpt;",
            "Heads = 3 does not divide the attention branch's AttentionWidth = 128 channels; use Heads = 4 or 8, or another AttentionWidth" },
        { "XF0092", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|KernelHeads = 3|])]\npublic partial class TinyGpt;",
            "KernelHeads = 3 does not divide the convolution branch's Dim - AttentionWidth = 128 channels; use KernelHeads = 4 or 8" },
        { "XF0093", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|KernelSizes = new[] { 3, 7 }|])]\npublic partial class TinyGpt;",
            "KernelSizes = new[] { 3, 7 } has 2 entries, but the model has Depth = 4 layers; give one size per layer (layer 0 first), e.g. KernelSizes = new[] { 3, 7, 15, 31 }, or one size for every layer" },
        { "XF0094", Usings + Encoder + "[LongShortRangeAttention(Heads = 4, [|KernelSizes = new[] { 3, 4, 5, 7 }|])]\npublic partial class TinyGpt;",
            "KernelSizes gives layer 1 the even size 4, but a bidirectional (encoder) convolution is centred on each position and an even window has no centre; use 3 or 5" },
        { "XF0095", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|DropConnect = 1.5|])]\npublic partial class TinyGpt;",
            "DropConnect = 1.5 is not a probability in [0, 1); use a value such as 0.1, or 0 to disable it" },
        { "XF0013", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|KernelSizes = new[] { 0 }|])]\npublic partial class TinyGpt;",
            "KernelSizes = 0 is outside the supported range 1 to 1023; use a value in that range, for example KernelSizes = 31" },
        { "XF0013", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|KernelHeads = 2000|])]\npublic partial class TinyGpt;",
            "KernelHeads = 2000 is outside the supported range 1 to 1024; use a value in that range, for example KernelHeads = 4" },
        { "XF0093", Usings + Transformer + "[Encoder(Depth = 2)]\n[LongShortRangeAttention(Heads = 4, [|KernelSizes = new[] { 3, 7, 15, 31 }|])]\npublic partial class TinyGpt;",
            "KernelSizes = new[] { 3, 7, 15, 31 } has 4 entries, but the encoder has Depth = 2 layers; give one size per layer (layer 0 first), e.g. KernelSizes = new[] { 3, 7 }, or one size for every layer" },
        { "XF0090", Usings + "[Transformer(Vocab = 256, Dim = 129, Depth = 4, MaxLength = 1024)]\n[[|LongShortRangeAttention(Heads = 4)|]]\npublic partial class TinyGpt;",
            "Dim = 129 has no two equal halves for the default split; the attention branch needs from 1 to Dim - 1 = 128 channels and the convolution the rest, so use AttentionWidth = 64" },
        { "XF0019", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|Convolution = (ConvolutionKind)7|])]\npublic partial class TinyGpt;",
            "Convolution = 7 is not a defined ConvolutionKind; use one of ConvolutionKind.Dynamic, ConvolutionKind.Lightweight" },
        { "XF0090", Usings + Transformer + "[LongShortRangeAttention(Heads = 4, [|AttentionWidth = -5|])]\npublic partial class TinyGpt;",
            "AttentionWidth = -5 leaves Dim = 256 no two branches; the attention branch needs from 1 to Dim - 1 = 255 channels and the convolution the rest, so use AttentionWidth = 128" },
    };

    public override IEnumerable<string> Valid => new[]
    {
        "[LongShortRangeAttention(Heads = 4)]",
        "[LongShortRangeAttention(Heads = 2, Convolution = ConvolutionKind.Lightweight, KernelSizes = new[] { 4 }, KernelHeads = 8, AttentionWidth = 64, DropConnect = 0.1)] [FeedForward(Hidden = 256)]",
        "[LongShortRangeAttention(Heads = 4, KernelSizes = new[] { 3, 7, 15, 31 })] [FullAttention(Heads = 8, Every = 2)] [Positions(Kind = PositionEncoding.Rotary)]",
        "[Encoder(Depth = 6)] [LongShortRangeAttention(Heads = 4)] [FeedForward(Hidden = 256)]",
    };

    public override TheoryData<string, string> Malformed => new()
    {
        { "LongShortRangeAttention without Heads", U + T + "[LongShortRangeAttention(KernelSizes = new[] { 3 })] public partial class M;" },
        { "LongShortRangeAttention with wrong types", U + T + "[LongShortRangeAttention(Heads = 4, KernelSizes = 3, DropConnect = \"x\")] public partial class M;" },
        { "LongShortRangeAttention with all sizes broken", U + T + "[LongShortRangeAttention(Heads = 0, AttentionWidth = int.MinValue, KernelHeads = int.MaxValue, KernelSizes = new[] { int.MinValue, -1, 0, 2 }, DropConnect = double.NaN)] public partial class M;" },
        { "LongShortRangeAttention with an empty kernel list", U + T + "[LongShortRangeAttention(Heads = 4, KernelSizes = new int[0])] public partial class M;" },
        { "LongShortRangeAttention positional argument", U + T + "[LongShortRangeAttention(4)] public partial class M;" },
    };
}
