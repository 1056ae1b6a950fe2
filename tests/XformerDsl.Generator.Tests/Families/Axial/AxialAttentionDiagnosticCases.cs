using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[AxialAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and broken ones the
/// generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class AxialAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0035", Usings + Transformer + "[AxialAttention(Heads = 4, [|Rows = 30|], Columns = 32)]\npublic partial class TinyGpt;",
            "Rows = 30 × Columns = 32 = 960 cells, but the grid must hold the MaxLength = 1024 positions; use Rows = 32, so that Rows · Columns = MaxLength" },
        { "XF0036", Usings + Transformer + "[AxialAttention([|Heads = 1|], Rows = 32, Columns = 32)]\npublic partial class TinyGpt;",
            "Heads = 1 cannot be split evenly between rows and columns (half the heads attend along each axis); use an even number of heads that divides Dim, such as Heads = 2" },
        { "XF0039", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576)]\n[[|AxialAttention(Heads = 4, Rows = 1024, Columns = 1024)|]]\npublic partial class TinyGpt;",
            "[AxialAttention] at MaxLength = 1048576 needs 100000001 or more steps to lay out, more than the 100000000 the generator spends on one kernel (the layout becomes constant arrays, each pair of tiles checked key by key at compile time); use a smaller MaxLength or a narrower pattern, or [FullAttention] if each query sees most of the sequence" },
        { "XF0010", Usings + Transformer + "[[|AxialAttention(Heads = 4, Rows = 32)|]]\npublic partial class TinyGpt;",
            "[AxialAttention] needs Columns; add an argument such as 'Columns = 64'" },
    };

    public override IEnumerable<string> Valid => new[]
    {
        "[AxialAttention(Heads = 4, Rows = 32, Columns = 32)]",
    };
}
