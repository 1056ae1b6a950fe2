using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[SynthesizerAttention]</c>: its diagnostics at the offending argument (XF0114, a warning, at the declaration), and
/// broken declarations of it the generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class SynthesizerAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Transformer + "[[|SynthesizerAttention(Mode = SynthesizerMode.Dense)|]]\npublic partial class TinyGpt;",
            "[SynthesizerAttention] needs Heads; add an argument such as 'Heads = 4'" },
        { "XF0019", Usings + Transformer + "[SynthesizerAttention(Heads = 4, [|Mode = (SynthesizerMode)9|])]\npublic partial class TinyGpt;",
            "Mode = 9 is not a defined SynthesizerMode; use one of SynthesizerMode.Random, SynthesizerMode.FactorizedRandom, SynthesizerMode.Dense, SynthesizerMode.FactorizedDense" },
        { "XF0110", Usings + Transformer + "[SynthesizerAttention(Heads = 4, [|Mode = SynthesizerMode.FactorizedRandom|])]\npublic partial class TinyGpt;",
            "Mode = FactorizedRandom needs Factor, the rank of R₁·R₂ᵀ, from 1 to MaxLength − 1 = 1023; add Factor = 16, or use Mode = SynthesizerMode.Random" },
        { "XF0110", Usings + Transformer + "[SynthesizerAttention(Heads = 4, [|Mode = SynthesizerMode.FactorizedDense|])]\npublic partial class TinyGpt;",
            "Mode = FactorizedDense needs Factor, a divisor of MaxLength between 2 and MaxLength / 2, so A (Factor values) and B (MaxLength / Factor values) multiply out to MaxLength logits; add Factor = 2, or use Mode = SynthesizerMode.Dense" },
        { "XF0111", Usings + Transformer + "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedRandom, [|Factor = 1024|])]\npublic partial class TinyGpt;",
            "Factor = 1024 does not fit Mode = FactorizedRandom with MaxLength = 1024: the rank of R₁·R₂ᵀ, from 1 to MaxLength − 1 = 1023; use Factor = 1023" },
        { "XF0111", Usings + Transformer + "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedDense, [|Factor = 24|])]\npublic partial class TinyGpt;",
            "Factor = 24 does not fit Mode = FactorizedDense with MaxLength = 1024: a divisor of MaxLength between 2 and MaxLength / 2, so A (Factor values) and B (MaxLength / Factor values) multiply out to MaxLength logits; use Factor = 16" },
        { "XF0111", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 13)]\n[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedDense, [|Factor = 3|])]\npublic partial class TinyGpt;",
            "Factor = 3 does not fit Mode = FactorizedDense with MaxLength = 13: a divisor of MaxLength between 2 and MaxLength / 2, so A (Factor values) and B (MaxLength / Factor values) multiply out to MaxLength logits; use Factor = a divisor (MaxLength = 13 has none in range; use Mode = SynthesizerMode.Dense)" },
        { "XF0112", Usings + Transformer + "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.Dense, [|LearnedMixture = true|])]\npublic partial class TinyGpt;",
            "LearnedMixture = true weighs the synthetic logits against dot-product logits, but DotProduct is false, so there is only one term; set DotProduct = true, or remove LearnedMixture" },
        { "XF0113", Usings + Transformer + "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.Dense, [|Factor = 8|])]\npublic partial class TinyGpt;",
            "Factor = 8 has no effect with Mode = Dense, which is not factorized; remove Factor, or use Mode = SynthesizerMode.FactorizedDense" },
        { "XF0114", Usings + Transformer + "[[|SynthesizerAttention(Heads = 4)|]]\npublic partial class TinyGpt;",
            "[SynthesizerAttention] with Mode = Random learns 4194304 parameters per layer (Heads·MaxLength²), 16777216 of the model's 19803904 parameters (84%); consider Mode = SynthesizerMode.FactorizedRandom (2·Heads·MaxLength·Factor parameters) or FactorizedDense, or a shorter MaxLength" },
    };

    public override IEnumerable<string> Valid =>
    [
        "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedRandom, Factor = 16)]",
        "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.Dense)] [Positions(Kind = PositionEncoding.Rotary)]",
    ];

    public override IEnumerable<string> ValidEncoders =>
    [
        "[SynthesizerAttention(Heads = 8, Mode = SynthesizerMode.FactorizedDense, Factor = 32, DotProduct = true, LearnedMixture = true)] [ClassificationHead(Classes = 3)]",
        "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.Dense, DotProduct = true)] [Positions(Kind = PositionEncoding.Rotary)]",
    ];

    public override TheoryData<string, string> Malformed => new()
    {
        { "SynthesizerAttention without Heads", U + T + "[SynthesizerAttention(Factor = 4)] public partial class M;" },
        { "SynthesizerAttention with wrong types", U + T + "[SynthesizerAttention(Heads = 4, Mode = 2.5, Factor = \"x\", DotProduct = 1)] public partial class M;" },
        { "SynthesizerAttention with all values broken", U + T + "[SynthesizerAttention(Heads = 0, Mode = (SynthesizerMode)(-1), Factor = int.MinValue, LearnedMixture = true)] public partial class M;" },
        { "SynthesizerAttention factorized with extreme factors", U + T + "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedDense, Factor = int.MaxValue)] public partial class M;" },
        { "SynthesizerAttention positional argument", U + T + "[SynthesizerAttention(4)] public partial class M;" },
    };
}
