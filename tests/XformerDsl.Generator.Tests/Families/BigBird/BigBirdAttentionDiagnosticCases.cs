using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[BigBirdAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and broken ones the
/// generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class BigBirdAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0033", Usings + Transformer + "[BigBirdAttention(Heads = 4, Block = 256, [|GlobalBlocks = 4|], RandomBlocks = 0, WindowBlocks = 1)]\npublic partial class TinyGpt;",
            "GlobalBlocks = 4 makes every one of the MaxLength = 1024 positions global (4·256 positions), which is full attention; use fewer, such as GlobalBlocks = 2, or [FullAttention]" },
        { "XF0034", Usings + Transformer + "[BigBirdAttention(Heads = 4, Block = 64, [|RandomBlocks = 20|])]\npublic partial class TinyGpt;",
            "RandomBlocks = 20 asks for more random blocks than exist: of the 16 blocks, 2 are global and the last query block's window takes 3, leaving 11 to draw from; use RandomBlocks = 11 or fewer, or a smaller Block" },
        { "XF0030", Usings + Transformer + "[BigBirdAttention(Heads = 4, [|Block = 96|])]\npublic partial class TinyGpt;",
            "Block = 96 does not divide MaxLength = 1024, so the last block would be cut short; use a Block that divides 1024, such as 64, or make MaxLength a multiple of 96, such as 1056" },
    };

    public override IEnumerable<string> Valid => new[]
    {
        "[BigBirdAttention(Heads = 4, Block = 64, Seed = 1)]",
    };
}
