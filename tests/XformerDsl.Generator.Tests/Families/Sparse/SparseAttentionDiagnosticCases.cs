using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[SparseAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and broken ones the
/// generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class SparseAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0030", Usings + Transformer + "[SparseAttention(Heads = 4, [|Stride = 100|], Mode = SparsePattern.Fixed)]\npublic partial class TinyGpt;",
            "Stride = 100 does not divide MaxLength = 1024, so the last block would be cut short; use a Stride that divides 1024, such as 64, or make MaxLength a multiple of 100, such as 1100" },
        { "XF0031", Usings + Transformer + "[SparseAttention(Heads = 4, [|Stride = 2000|])]\npublic partial class TinyGpt;",
            "Stride = 2000 makes each query's pattern span a period of 2000 positions, more than MaxLength = 1024; use Stride = 1024 or less, or [FullAttention] if every query should see the whole sequence" },
        { "XF0019", Usings + Transformer + "[SparseAttention(Heads = 4, Stride = 32, [|Mode = (SparsePattern)7|])]\npublic partial class TinyGpt;",
            "Mode = 7 is not a defined SparsePattern; use one of SparsePattern.Strided, SparsePattern.Fixed" },
        { "XF0013", Usings + Transformer + "[SparseAttention(Heads = 4, Stride = 32, Mode = SparsePattern.Fixed, [|Summary = 40|])]\npublic partial class TinyGpt;",
            "Summary = 40 is outside the supported range 1 to 32; use a value in that range, for example Summary = 2" },
    };

    public override IEnumerable<string> Valid => new[]
    {
        "[SparseAttention(Heads = 4, Stride = 32, Mode = SparsePattern.Fixed, Summary = 4)]",
    };
}
