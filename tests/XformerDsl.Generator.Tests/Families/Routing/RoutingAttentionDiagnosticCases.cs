using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[RoutingAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none (causal and
/// bidirectional, with local heads, in chosen layers, the paper's balanced clusters), and broken ones the generator must
/// survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class RoutingAttentionDiagnosticCases : FamilyDiagnosticCases
{
    private const string Encoder = Infrastructure.DiagnosticCases.Encoder;

    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Transformer + "[[|RoutingAttention(Heads = 4)|]]\npublic partial class TinyGpt;",
            "[RoutingAttention] needs Clusters; add an argument such as 'Clusters = 16'" },
        { "XF0013", Usings + Transformer + "[RoutingAttention(Heads = 4, [|Clusters = 0|])]\npublic partial class TinyGpt;",
            "Clusters = 0 is outside the supported range 1 to 4096; use a value in that range, for example Clusters = 16" },
        { "XF0013", Usings + Transformer + "[RoutingAttention(Heads = 4, Clusters = 8, [|Window = -1|])]\npublic partial class TinyGpt;",
            "Window = -1 is outside the supported range 0 to 1048576; use a value in that range, for example Window = 256" },
        { "XF0019", Usings + Transformer + "[RoutingAttention(Heads = 4, Clusters = 8, [|Membership = (RoutingMembership)5|])]\npublic partial class TinyGpt;",
            "Membership = 5 is not a defined RoutingMembership; use one of RoutingMembership.NearestCentroid, RoutingMembership.TopTokensPerCentroid" },
        { "XF0190", Usings + Transformer + "[RoutingAttention(Heads = 4, [|Clusters = 2048|])]\npublic partial class TinyGpt;",
            "Clusters = 2048 is larger than MaxLength = 1024: equal-size clusters would hold less than one token each; use Clusters = 1024 or less (the paper uses about √MaxLength)" },
        { "XF0191", Usings + Transformer + "[RoutingAttention(Heads = 4, Clusters = 8, [|Window = 4096|])]\npublic partial class TinyGpt;",
            "Window = 4096 is larger than MaxLength = 1024; a window that long is full attention at more cost: use Window = 1024 or less, or leave it out" },
        { "XF0191", Usings + Transformer + "[RoutingAttention(Heads = 4, Clusters = 8, LocalHeads = 2, [|LocalWindow = 2000|])]\npublic partial class TinyGpt;",
            "LocalWindow = 2000 is larger than MaxLength = 1024; a window that long is full attention at more cost: use LocalWindow = 1024 or less, or leave it out" },
        { "XF0192", Usings + Transformer + "[RoutingAttention(Heads = 4, Clusters = 8, [|LocalHeads = 4|])]\npublic partial class TinyGpt;",
            "LocalHeads = 4 of Heads = 4 leaves no head to route; use LocalHeads = 3 or less, or [SlidingWindowAttention] for a layer of local heads only" },
        { "XF0193", Usings + Transformer + "[RoutingAttention(Heads = 4, Clusters = 8, [|Decay = 1.0|])]\npublic partial class TinyGpt;",
            "Decay = 1 is not strictly between 0 and 1: the centroids move as μ ← Decay · μ + (1 − Decay) · mean, so 1 never learns and 0 forgets every step; use a value near 1 such as 0.999" },
        { "XF0194", Usings + Transformer + "[RoutingAttention(Heads = 4, Clusters = 8, [|CommitmentWeight = -0.5|])]\npublic partial class TinyGpt;",
            "CommitmentWeight = -0.5 must be a finite value of 0 or more: a negative weight pushes the routed vectors away from their centroids; use 0.0001 (the paper's), or 0 to train without the commitment loss" },
        { "XF0195", Usings + Transformer + "[[|RoutingAttention(Heads = 4, Clusters = 8)|]]\n[Reversible]\npublic partial class TinyGpt;",
            "[RoutingAttention] in a [Reversible] model: the backward pass recomputes every layer, so the centroids would move twice per step and the commitment loss, recorded in the forward pass that keeps no graph, would train nothing; remove [Reversible], or use [LshAttention] for content-based attention in a reversible model" },
    };

    public override IEnumerable<string> Valid =>
    [
        "[RoutingAttention(Heads = 4, Clusters = 8)]",
        "[RoutingAttention(Heads = 4, Clusters = 16, LocalHeads = 2, LocalWindow = 64, Every = 2)] [SlidingWindowAttention(Heads = 4, Window = 128)] [Positions(Kind = PositionEncoding.Rotary)]",
        "[RoutingAttention(Heads = 4, Clusters = 8, Window = 32, Decay = 0.99, CommitmentWeight = 0.0, Membership = RoutingMembership.TopTokensPerCentroid)]",
        "[RoutingAttention(Heads = 4, Clusters = 4)] [FeedForward(Chunks = 4)]",
    ];

    public override IEnumerable<string> ValidEncoders =>
    [
        "[RoutingAttention(Heads = 4, Clusters = 8)]",
        "[RoutingAttention(Heads = 4, Clusters = 8, LocalHeads = 1, LocalWindow = 100)] [ClassificationHead(Classes = 3)]",
    ];

    public override TheoryData<string, string> Malformed => new()
    {
        { "RoutingAttention without Heads", U + T + "[RoutingAttention(Clusters = 8)] public partial class M;" },
        { "RoutingAttention with wrong types", U + T + "[RoutingAttention(Heads = 4, Clusters = 6.5, Decay = \"slow\", Membership = true)] public partial class M;" },
        { "RoutingAttention with all sizes broken", U + T + "[RoutingAttention(Heads = 0, Clusters = int.MinValue, Window = int.MaxValue, LocalHeads = -1, LocalWindow = int.MinValue, Decay = double.NaN, CommitmentWeight = double.PositiveInfinity)] public partial class M;" },
        { "RoutingAttention positional argument", U + T + "[RoutingAttention(4)] public partial class M;" },
    };
}
