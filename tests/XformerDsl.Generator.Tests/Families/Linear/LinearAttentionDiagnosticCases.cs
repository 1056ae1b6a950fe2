using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[LinearAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and broken ones the
/// generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class LinearAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0019", Usings + Transformer + "[LinearAttention(Heads = 4, [|Kernel = (FeatureMap)9|])]\npublic partial class TinyGpt;",
            "Kernel = 9 is not a defined FeatureMap; use one of FeatureMap.Elu, FeatureMap.Relu, FeatureMap.Favor, FeatureMap.LearnedRelu" },
        { "XF0050", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, [|Features = 0|])]\npublic partial class TinyGpt;",
            "Features = 0 is outside the supported range 1 to 4096 features per head; use a value in that range, for example Features = 64 (the head size), or leave Features out" },
        { "XF0050", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, [|Features = 100000|])]\npublic partial class TinyGpt;",
            "Features = 100000 is outside the supported range 1 to 4096 features per head; use a value in that range, for example Features = 64 (the head size), or leave Features out" },
        { "XF0051", Usings + Transformer + "[LinearAttention(Heads = 4, [|Features = 32|])]\npublic partial class TinyGpt;",
            "Features = 32 has no meaning for Kernel = FeatureMap.Elu, whose features are the head's 64 dimensions; remove Features, or use Kernel = FeatureMap.Favor or FeatureMap.LearnedRelu to choose a feature count" },
        { "XF0052", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, [|RedrawEvery = 100|])]\npublic partial class TinyGpt;",
            "RedrawEvery = 100 applies to random features, but Kernel = FeatureMap.LearnedRelu draws none; remove RedrawEvery, or use Kernel = FeatureMap.Favor" },
        { "XF0052", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Relu, [|Seed = 3|])]\npublic partial class TinyGpt;",
            "Seed = 3 applies to random features, but Kernel = FeatureMap.Relu draws none; remove Seed, or use Kernel = FeatureMap.Favor" },
        { "XF0053", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, [|RedrawEvery = -5|])]\npublic partial class TinyGpt;",
            "RedrawEvery = -5 must not be negative; use a number of training steps such as RedrawEvery = 1000, or 0 to keep one draw" },
        { "XF0014", Usings + Transformer + "[LinearAttention([|Heads = 3|], Kernel = FeatureMap.Favor)]\npublic partial class TinyGpt;",
            "Heads = 3 does not divide Dim = 256; use a divisor of 256 such as 4 or 8" },
    };

    public override TheoryData<string, string> Malformed => new()
    {
        { "linear: no arguments", U + T + "[LinearAttention] public partial class M;" },
        { "linear: int for kernel", U + T + "[LinearAttention(Heads = 4, Kernel = 2)] public partial class M;" },
        { "linear: enum of the wrong type", U + T + "[LinearAttention(Heads = 4, Kernel = Activation.Relu)] public partial class M;" },
        { "linear: unknown kernel", U + T + "[LinearAttention(Heads = 4, Kernel = (FeatureMap)(-1), Features = -3, RedrawEvery = int.MinValue, Seed = int.MaxValue)] public partial class M;" },
        { "linear: string for features", U + T + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, Features = \"64\")] public partial class M;" },
        { "linear: extreme values", U + T + "[LinearAttention(Heads = int.MaxValue, Kernel = FeatureMap.LearnedRelu, Features = int.MaxValue, RedrawEvery = int.MaxValue)] public partial class M;" },
        { "linear: every problem at once", U + T + "[LinearAttention(Heads = 0, Kernel = FeatureMap.Elu, Features = 0, RedrawEvery = -1, Seed = 5)] public partial class M;" },
        { "linear beside full attention", U + T + A + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, Every = 2)] public partial class M;" },
        { "linear: misspelled kernel argument", U + T + "[LinearAttention(Heads = 4, FeatureMap = FeatureMap.Favor)] public partial class M;" },
    };
}
