using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[InducedAttention]</c> and attention pooling: their diagnostics at the offending argument, and broken declarations
/// the generator must survive. <see cref="FamilyDiagnosticTests"/> runs them; the usual <c>[Transformer]</c> is causal,
/// which the family refuses, so its valid declarations are in <see cref="InducedAttentionDeclarationTests"/>.
/// </summary>
internal sealed class InducedAttentionDiagnosticCases : FamilyDiagnosticCases
{
    private const string Encoder = Infrastructure.DiagnosticCases.Encoder;
    private const string CausalMessage =
        "[InducedAttention] in a causal model: each of the {0} inducing points summarises every position, later ones included, and every token reads those summaries, so no token could be kept from its future; use it in a bidirectional model (Causal = false on [Transformer]) or in the encoder of an encoder-decoder (Stack = ModelStack.Encoder), or use [FullAttention] or [LinearAttention] in a decoder";

    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Encoder + "[[|InducedAttention(Points = 16)|]]\npublic partial class TinyGpt;",
            "[InducedAttention] needs Heads; add an argument such as 'Heads = 4'" },
        { "XF0013", Usings + Encoder + "[InducedAttention(Heads = 4, [|Points = 0|])]\npublic partial class TinyGpt;",
            "Points = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Points = 32" },
        { "XF0130", Usings + Transformer + "[[|InducedAttention(Heads = 4)|]]\npublic partial class TinyGpt;",
            string.Format(System.Globalization.CultureInfo.InvariantCulture, CausalMessage, 32) },
        { "XF0130", Usings + Transformer + "[Encoder(Depth = 2)]\n[FullAttention(Heads = 4, Stack = ModelStack.Encoder)]\n[[|InducedAttention(Heads = 4, Points = 8, Stack = ModelStack.Decoder)|]]\npublic partial class TinyGpt;",
            string.Format(System.Globalization.CultureInfo.InvariantCulture, CausalMessage, 8) },
        { "XF0131", Usings + Encoder + "[InducedAttention(Heads = 4, [|Points = 2048|])]\npublic partial class TinyGpt;",
            "Points = 2048 is larger than MaxLength = 1024: 2048 inducing points would summarise at most 1024 positions, which costs more than attending to the positions themselves; use Points = 1024 or less (the paper uses 16 to 32)" },
        { "XF0132", Usings + Encoder + "[[|InducedAttention(Heads = 4)|]]\n[Positions(Kind = PositionEncoding.Rotary)]\npublic partial class TinyGpt;",
            "[InducedAttention] with rotary positions: each attention pairs tokens with inducing points or their summaries, which have no position, so rotating by position would carry no relative position; declare [Positions(Kind = PositionEncoding.Learned)], Sinusoidal, or None (a set model), or use another attention family" },
        { "XF0133", Usings + Encoder + "[LongShortRangeAttention(Heads = 3, AttentionWidth = 120, KernelHeads = 4)]\n[ClassificationHead(Classes = 2, [|Pooling = Pooling.Attention|])]\npublic partial class TinyGpt;",
            "Pooling = Pooling.Attention uses the last layer's Heads = 3, which does not divide Dim = 256 (its attention is narrower than the model); use Pooling.Mean or Pooling.First, or give the last layer a declaration whose Heads divides 256" },
    };

    public override IEnumerable<string> ValidEncoders =>
    [
        "[InducedAttention(Heads = 4)]",
        "[InducedAttention(Heads = 8, Points = 1024)] [Positions(Kind = PositionEncoding.None)] [ClassificationHead(Classes = 3, Pooling = Pooling.Attention)]",
        "[InducedAttention(Heads = 4, Points = 16)] [FullAttention(Heads = 8, Every = 2)] [Normalization(Kind = NormKind.RmsNorm)]",
        "[InducedAttention(Heads = 2, Points = 1)] [Positions(Kind = PositionEncoding.Sinusoidal)] [MaskedLanguageModelHead(MaskToken = 3)]",
        "[FullAttention(Heads = 4)] [ClassificationHead(Classes = 2, Pooling = Pooling.Attention)]",
    ];

    public override TheoryData<string, string> Malformed => new()
    {
        { "InducedAttention without Heads", U + Encoder + "[InducedAttention(Points = 8)] public partial class M;" },
        { "InducedAttention with wrong types", U + Encoder + "[InducedAttention(Heads = 4, Points = 6.5)] public partial class M;" },
        { "InducedAttention with all sizes broken", U + Encoder + "[InducedAttention(Heads = 0, Points = int.MinValue)] public partial class M;" },
        { "InducedAttention positional argument", U + Encoder + "[InducedAttention(4)] public partial class M;" },
        { "InducedAttention causal, rotary and too many points", U + T + "[InducedAttention(Heads = 4, Points = int.MaxValue)] [Positions(Kind = PositionEncoding.Rotary)] public partial class M;" },
        { "Attention pooling in a causal model without layers", U + "[Transformer(Vocab = 4, Dim = 8, Depth = 0, MaxLength = 8)] [ClassificationHead(Classes = 2, Pooling = Pooling.Attention)] public partial class M;" },
    };
}
