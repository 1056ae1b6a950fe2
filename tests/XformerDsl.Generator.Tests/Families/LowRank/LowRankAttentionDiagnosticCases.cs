using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[LowRankAttention]</c>: its diagnostics at the offending argument, and broken declarations of it the generator must
/// survive. <see cref="FamilyDiagnosticTests"/> runs them; the usual <c>[Transformer]</c> is causal, which the family
/// refuses, so its valid declarations are in <see cref="LowRankAttentionDeclarationTests"/>.
/// </summary>
internal sealed class LowRankAttentionDiagnosticCases : FamilyDiagnosticCases
{
    private const string Encoder = Infrastructure.DiagnosticCases.Encoder;

    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Encoder + "[[|LowRankAttention(Heads = 4)|]]\npublic partial class TinyGpt;",
            "[LowRankAttention] needs ProjectedLength; add an argument such as 'ProjectedLength = 256'" },
        { "XF0013", Usings + Encoder + "[LowRankAttention(Heads = 4, [|ProjectedLength = 0|])]\npublic partial class TinyGpt;",
            "ProjectedLength = 0 is outside the supported range 1 to 1048576; use a value in that range, for example ProjectedLength = 256" },
        { "XF0019", Usings + Encoder + "[LowRankAttention(Heads = 4, ProjectedLength = 256, [|Sharing = (LowRankSharing)7|])]\npublic partial class TinyGpt;",
            "Sharing = 7 is not a defined LowRankSharing; use one of LowRankSharing.Headwise, LowRankSharing.KeyValue, LowRankSharing.Layerwise" },
        { "XF0100", Usings + Transformer + "[[|LowRankAttention(Heads = 4, ProjectedLength = 256)|]]\npublic partial class TinyGpt;",
            "[LowRankAttention] in a causal model: E and F project keys and values along the length, so each of the 256 compressed rows mixes every position, later ones included, and no query could be kept from its future; use it in a bidirectional model (Causal = false on [Transformer]) or in the encoder of an encoder-decoder (Stack = ModelStack.Encoder), or use [FullAttention] or [LinearAttention] in a decoder" },
        { "XF0100", Usings + Transformer + "[Encoder(Depth = 2)]\n[FullAttention(Heads = 4, Stack = ModelStack.Encoder)]\n[[|LowRankAttention(Heads = 4, ProjectedLength = 64, Stack = ModelStack.Decoder)|]]\npublic partial class TinyGpt;",
            "[LowRankAttention] in a causal model: E and F project keys and values along the length, so each of the 64 compressed rows mixes every position, later ones included, and no query could be kept from its future; use it in a bidirectional model (Causal = false on [Transformer]) or in the encoder of an encoder-decoder (Stack = ModelStack.Encoder), or use [FullAttention] or [LinearAttention] in a decoder" },
        { "XF0101", Usings + Encoder + "[LowRankAttention(Heads = 4, [|ProjectedLength = 2048|])]\npublic partial class TinyGpt;",
            "ProjectedLength = 2048 is larger than MaxLength = 1024: E and F would project at most 1024 positions to 2048 rows, which costs more than attending to the positions themselves; use ProjectedLength = 1024 or less" },
        { "XF0102", Usings + Encoder + "[LowRankAttention(Heads = 4, ProjectedLength = 256, Sharing = LowRankSharing.Layerwise, Layers = new[] { 0 })]\n[LowRankAttention(Heads = 4, [|ProjectedLength = 128|], Sharing = LowRankSharing.Layerwise)]\npublic partial class TinyGpt;",
            "ProjectedLength = 128 with Sharing = LowRankSharing.Layerwise, but an earlier [LowRankAttention] of this stack shares the model's one projection with ProjectedLength = 256: every layer uses the same [256, MaxLength] matrix; declare ProjectedLength = 256, or Sharing = LowRankSharing.Headwise or KeyValue to give these layers projections of their own" },
    };

    public override IEnumerable<string> ValidEncoders =>
    [
        "[LowRankAttention(Heads = 4, ProjectedLength = 256)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 1024, Sharing = LowRankSharing.KeyValue)] [Positions(Kind = PositionEncoding.Rotary)]",
        "[LowRankAttention(Heads = 8, ProjectedLength = 64, Sharing = LowRankSharing.Headwise)] [FullAttention(Heads = 4, Every = 2)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 128)] [ClassificationHead(Classes = 3)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 128, Sharing = LowRankSharing.Layerwise)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 128, Sharing = LowRankSharing.Layerwise)] [LowRankAttention(Heads = 8, ProjectedLength = 128, Sharing = LowRankSharing.Layerwise, Every = 3)] [LowRankAttention(Heads = 2, ProjectedLength = 64, Layers = new[] { 1 })]",
    ];

    public override TheoryData<string, string> Malformed => new()
    {
        { "LowRankAttention without Heads", U + Encoder + "[LowRankAttention(ProjectedLength = 64)] public partial class M;" },
        { "LowRankAttention with wrong types", U + Encoder + "[LowRankAttention(Heads = 4, ProjectedLength = 6.5, Sharing = true)] public partial class M;" },
        { "LowRankAttention with all sizes broken", U + Encoder + "[LowRankAttention(Heads = 0, ProjectedLength = int.MinValue, Sharing = (LowRankSharing)(-1))] public partial class M;" },
        { "LowRankAttention positional argument", U + Encoder + "[LowRankAttention(4)] public partial class M;" },
        { "LowRankAttention causal and too long", U + T + "[LowRankAttention(Heads = 4, ProjectedLength = int.MaxValue)] public partial class M;" },
    };
}
