using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[LocalAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and broken ones the
/// generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class LocalAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0013", Usings + Transformer + "[LocalAttention(Heads = 4, Block = 64, [|Before = -1|])]\npublic partial class TinyGpt;",
            "Before = -1 is outside the supported range 0 to 1048576; use a value in that range, for example Before = 1" },
        { "XF0030", Usings + Transformer + "[LocalAttention(Heads = 4, [|Block = 100|], Before = 1)]\npublic partial class TinyGpt;",
            "Block = 100 does not divide MaxLength = 1024, so the last block would be cut short; use a Block that divides 1024, such as 64, or make MaxLength a multiple of 100, such as 1100" },
        { "XF0031", Usings + Transformer + "[LocalAttention(Heads = 4, Block = 256, [|Before = 4|])]\npublic partial class TinyGpt;",
            "Before = 4 makes each query's pattern span (Before + 1)·Block = 1280 positions, more than MaxLength = 1024; use Before = 3 or less, or [FullAttention] if every query should see the whole sequence" },
        { "XF0032", Usings + Transformer + "[LocalAttention(Heads = 4, Block = 64, [|After = 1|])]\npublic partial class TinyGpt;",
            "After = 1 names a block after the query's own, which a causal model hides (they are its future); remove After, or set Causal = false on [Transformer]" },
    };

    public override IEnumerable<string> Valid => new[]
    {
        "[LocalAttention(Heads = 4, Block = 128, Before = 7)]",
    };
}
