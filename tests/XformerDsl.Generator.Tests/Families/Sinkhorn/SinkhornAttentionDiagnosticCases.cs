using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[SinkhornAttention]</c>: its diagnostics at the offending argument, valid causal and bidirectional declarations
/// that compile, and broken declarations the generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class SinkhornAttentionDiagnosticCases : FamilyDiagnosticCases
{
    private const string Encoder = Infrastructure.DiagnosticCases.Encoder;

    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Transformer + "[[|SinkhornAttention()|]]\npublic partial class TinyGpt;",
            "[SinkhornAttention] needs Heads; add an argument such as 'Heads = 4'" },
        { "XF0013", Usings + Transformer + "[SinkhornAttention(Heads = 4, [|Iterations = 0|])]\npublic partial class TinyGpt;",
            "Iterations = 0 is outside the supported range 1 to 100; use a value in that range, for example Iterations = 7" },
        { "XF0013", Usings + Encoder + "[SinkhornAttention(Heads = 4, [|SortCut = -1|])]\npublic partial class TinyGpt;",
            "SortCut = -1 is outside the supported range 0 to 1048576; use a value in that range, for example SortCut = 2" },
        { "XF0200", Usings + Transformer + "[SinkhornAttention(Heads = 4, [|Block = 100|])]\npublic partial class TinyGpt;",
            "Block = 100 does not divide MaxLength = 1024: Sinkhorn attention sorts whole blocks; use Block = 64, or MaxLength = 1100" },
        { "XF0201", Usings + Transformer + "[SinkhornAttention(Heads = 4, [|Block = 1024|])]\npublic partial class TinyGpt;",
            "Block = 1024 leaves MaxLength = 1024 a single block, so there is nothing to sort and the layer is full attention at greater cost; use Block = 512 or less, or [FullAttention]" },
        { "XF0202", Usings + Transformer + "[SinkhornAttention(Heads = 4, [|SortCut = 2|])]\npublic partial class TinyGpt;",
            "SortCut = 2 in a causal model: every query would attend to the first 2 sorted blocks, which the sorting chose from the whole sequence, later blocks included; use SortCut = 0 (each block attends to a sorted block of earlier blocks and to itself), or a bidirectional model (Causal = false on [Transformer]) or the encoder of an encoder-decoder (Stack = ModelStack.Encoder)" },
        { "XF0203", Usings + Encoder + "[SinkhornAttention(Heads = 4, Block = 256, [|SortCut = 5|])]\npublic partial class TinyGpt;",
            "SortCut = 5 keeps more sorted blocks than MaxLength / Block = 4 has; use SortCut = 4 or less" },
        { "XF0204", Usings + Transformer + "[SinkhornAttention(Heads = 4, [|Temperature = 0|])]\npublic partial class TinyGpt;",
            "Temperature = 0 divides the sorting logits, so it must be a finite number greater than 0; use the paper's Temperature = 0.75, lower for harder sorting" },
    };

    public override IEnumerable<string> Valid =>
    [
        "[SinkhornAttention(Heads = 4)]",
        "[SinkhornAttention(Heads = 8, Block = 128, Iterations = 5, Temperature = 0.5)] [Positions(Kind = PositionEncoding.Rotary)]",
        "[SinkhornAttention(Heads = 4, Block = 32)] [FullAttention(Heads = 4, Every = 2)]",
        "[SinkhornAttention(Heads = 2, Block = 512, Iterations = 1)] [Reversible]",
    ];

    public override IEnumerable<string> ValidEncoders =>
    [
        "[SinkhornAttention(Heads = 4, SortCut = 2)]",
        "[SinkhornAttention(Heads = 4, Block = 128)] [ClassificationHead(Classes = 3)]",
        "[SinkhornAttention(Heads = 8, Block = 16, SortCut = 64, Temperature = 2)]",
    ];

    public override TheoryData<string, string> Malformed => new()
    {
        { "SinkhornAttention without Heads", U + T + "[SinkhornAttention(Block = 64)] public partial class M;" },
        { "SinkhornAttention with wrong types", U + T + "[SinkhornAttention(Heads = 4, Block = 6.5, Temperature = \"hot\", SortCut = true)] public partial class M;" },
        { "SinkhornAttention with all sizes broken", U + T + "[SinkhornAttention(Heads = 0, Block = int.MinValue, Iterations = int.MaxValue, Temperature = double.NaN, SortCut = int.MaxValue)] public partial class M;" },
        { "SinkhornAttention with an infinite temperature", U + T + "[SinkhornAttention(Heads = 4, Temperature = double.PositiveInfinity)] public partial class M;" },
        { "SinkhornAttention positional argument", U + T + "[SinkhornAttention(4)] public partial class M;" },
        { "SinkhornAttention with a block of one", U + T + "[SinkhornAttention(Heads = 4, Block = 1)] public partial class M;" },
    };
}
