using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[SlidingWindowAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and broken ones the
/// generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class SlidingWindowAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Transformer + "[[|SlidingWindowAttention(Heads = 4)|]]\npublic partial class TinyGpt;",
            "[SlidingWindowAttention] needs Window; add an argument such as 'Window = 256'" },
        { "XF0013", Usings + Transformer + "[SlidingWindowAttention(Heads = 4, [|Window = 0|])]\npublic partial class TinyGpt;",
            "Window = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Window = 256" },
        { "XF0031", Usings + Transformer + "[SlidingWindowAttention(Heads = 4, [|Window = 2000|])]\npublic partial class TinyGpt;",
            "Window = 2000 makes each query's pattern span 2000 positions, more than MaxLength = 1024; use Window = 1024 or less, or [FullAttention] if every query should see the whole sequence" },
        { "XF0031", Usings + Transformer + "[SlidingWindowAttention(Heads = 4, Window = 256, [|Dilation = 8|])]\npublic partial class TinyGpt;",
            "Dilation = 8 makes each query's pattern span 2041 positions (window 256, dilation 8), more than MaxLength = 1024; use Dilation = 4 or less, or [FullAttention] if every query should see the whole sequence" },
        { "XF0033", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = false)]\n[SlidingWindowAttention(Heads = 4, Window = 64, [|GlobalTokens = 1024|])]\npublic partial class TinyGpt;",
            "GlobalTokens = 1024 makes every one of the MaxLength = 1024 positions global (1024 positions), which is full attention; use fewer, such as GlobalTokens = 16, or [FullAttention]" },
        { "XF0037", Usings + Transformer + "[SlidingWindowAttention(Heads = 4, Window = 128, [|Dilations = new[] { 1, 2 }|])]\npublic partial class TinyGpt;",
            "Dilations has 2 entries but there are Heads = 4; give exactly 4 dilations, one per head in head order, or use Dilation for one dilation shared by every head" },
        { "XF0038", Usings + Transformer + "[SlidingWindowAttention(Heads = 4, Window = 128, Dilation = 2, [|Dilations = new[] { 1, 1, 2, 2 }|])]\npublic partial class TinyGpt;",
            "Dilation = 2 and a per-head Dilations list are both set, so it is unclear which applies; remove Dilation (the list gives every head its own), or remove Dilations to share Dilation = 2 across heads" },
        { "XF0013", Usings + Transformer + "[SlidingWindowAttention(Heads = 4, Window = 128, [|Dilations = new[] { 1, 0, 2, 2 }|])]\npublic partial class TinyGpt;",
            "Dilations = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Dilations = 1" },
        { "XF0031", Usings + Transformer + "[SlidingWindowAttention(Heads = 4, Window = 128, [|Dilations = new[] { 1, 1, 2, 16 }|])]\npublic partial class TinyGpt;",
            "Dilations = 16 makes each query's pattern span 2033 positions (window 128, dilation 16), more than MaxLength = 1024; use Dilations = 8 or less, or [FullAttention] if every query should see the whole sequence" },
        { "XF0039", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 262144)]\n[[|SlidingWindowAttention(Heads = 4, Window = 65536)|]]\npublic partial class TinyGpt;",
            "[SlidingWindowAttention] at MaxLength = 262144 needs 100000001 or more steps to lay out, more than the 100000000 the generator spends on one kernel (the layout becomes constant arrays, each pair of tiles checked key by key at compile time); use a smaller MaxLength or a narrower pattern, or [FullAttention] if each query sees most of the sequence" },
    };

    public override IEnumerable<string> Valid => new[]
    {
        "[SlidingWindowAttention(Heads = 4, Window = 256, Dilation = 4, GlobalTokens = 2)]",
        "[SlidingWindowAttention(Heads = 4, Window = 128)] [FullAttention(Heads = 4, Every = 4)]",
    };

    public override TheoryData<string, string> Malformed => new()
    {
        { "pattern with a string window", U + T + "[SlidingWindowAttention(Heads = 4, Window = \"256\")] public partial class M;" },
        { "per-head dilations broken", U + T + "[SlidingWindowAttention(Heads = 4, Window = 8, Dilations = new[] { int.MaxValue, int.MinValue, 0, -1, 5 })] public partial class M;" },
        { "per-head dilations empty, null or of strings", U + T + "[SlidingWindowAttention(Heads = 4, Window = 8, Dilations = new int[0])] [SlidingWindowAttention(Heads = 4, Window = 8, Dilations = null, Every = 2)] [SlidingWindowAttention(Heads = 4, Window = 8, Dilations = new[] { \"1\" }, Layers = new[] { 1 })] public partial class M;" },
    };
}
