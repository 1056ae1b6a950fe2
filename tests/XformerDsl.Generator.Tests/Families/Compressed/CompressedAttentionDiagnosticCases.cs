using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[CompressedAttention]</c>: its diagnostics at the offending argument, valid causal declarations (the usual
/// <c>[Transformer]</c>), and broken declarations the generator must survive; <see cref="FamilyDiagnosticTests"/> runs
/// them. Bidirectional and mixed declarations are in <see cref="CompressedAttentionDeclarationTests"/>.
/// </summary>
internal sealed class CompressedAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Transformer + "[[|CompressedAttention(Ratio = 3)|]]\npublic partial class TinyGpt;",
            "[CompressedAttention] needs Heads; add an argument such as 'Heads = 4'" },
        { "XF0013", Usings + Transformer + "[CompressedAttention(Heads = 4, [|Ratio = 0|])]\npublic partial class TinyGpt;",
            "Ratio = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Ratio = 3" },
        { "XF0019", Usings + Transformer + "[CompressedAttention(Heads = 4, [|Compression = (MemoryCompression)5|])]\npublic partial class TinyGpt;",
            "Compression = 5 is not a defined MemoryCompression; use one of MemoryCompression.Convolution, MemoryCompression.MeanPool" },
        { "XF0120", Usings + Transformer + "[CompressedAttention(Heads = 4, [|Ratio = 2048|])]\npublic partial class TinyGpt;",
            "Ratio = 2048 is larger than MaxLength = 1024: no sequence fills even one slot of 2048 positions, so every key would be one partial slot; use Ratio = 1024 or less (the paper uses 3)" },
        { "XF0120", Usings + Transformer + "[Encoder(Depth = 2, MaxLength = 64)]\n[FullAttention(Heads = 4, Stack = ModelStack.Decoder)]\n[CompressedAttention(Heads = 4, [|Ratio = 100|], Stack = ModelStack.Encoder)]\npublic partial class TinyTranslator;",
            "Ratio = 100 is larger than MaxLength = 64: no sequence fills even one slot of 100 positions, so every key would be one partial slot; use Ratio = 64 or less (the paper uses 3)" },
        { "XF0121", Usings + Transformer + "[CompressedAttention(Heads = 4, [|Ratio = 1|], Compression = MemoryCompression.MeanPool)]\npublic partial class TinyGpt;",
            "Compression = MemoryCompression.MeanPool with Ratio = 1: the mean of one position is that position, so this is full attention at full cost; use Ratio = 2 or more, or [FullAttention]" },
    };

    public override IEnumerable<string> Valid =>
    [
        "[CompressedAttention(Heads = 4)]",
        "[CompressedAttention(Heads = 8, Ratio = 4, Compression = MemoryCompression.MeanPool)] [Positions(Kind = PositionEncoding.Rotary)]",
        "[CompressedAttention(Heads = 4, Ratio = 1)]",
        "[CompressedAttention(Heads = 2, Ratio = 1024)]",
        "[LocalAttention(Heads = 4, Block = 128, Before = 1)] [CompressedAttention(Heads = 4, Ratio = 3, Every = 2)]",
        "[SlidingWindowAttention(Heads = 4, Window = 64)] [CompressedAttention(Heads = 4, Ratio = 7, Layers = new[] { 0, 3 })]",
    ];

    public override IEnumerable<string> ValidEncoders =>
    [
        "[CompressedAttention(Heads = 4)]",
        "[CompressedAttention(Heads = 4, Ratio = 8, Compression = MemoryCompression.MeanPool)] [ClassificationHead(Classes = 3)]",
        "[LocalAttention(Heads = 4, Block = 64, Before = 1, After = 1)] [CompressedAttention(Heads = 8, Ratio = 5, Every = 2)]",
    ];

    public override TheoryData<string, string> Malformed => new()
    {
        { "CompressedAttention without Heads", U + T + "[CompressedAttention(Ratio = 4)] public partial class M;" },
        { "CompressedAttention with wrong types", U + T + "[CompressedAttention(Heads = 4, Ratio = 2.5, Compression = true)] public partial class M;" },
        { "CompressedAttention with all sizes broken", U + T + "[CompressedAttention(Heads = 0, Ratio = int.MinValue, Compression = (MemoryCompression)(-1))] public partial class M;" },
        { "CompressedAttention positional argument", U + T + "[CompressedAttention(4)] public partial class M;" },
        { "CompressedAttention ratio too large", U + T + "[CompressedAttention(Heads = 4, Ratio = int.MaxValue)] public partial class M;" },
        { "CompressedAttention mean of one", U + T + "[CompressedAttention(Heads = 3, Ratio = 1, Compression = MemoryCompression.MeanPool)] public partial class M;" },
    };
}
