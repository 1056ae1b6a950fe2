using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[LshAttention]</c>: its diagnostics at the offending argument, declarations of it that yield none, and broken ones the
/// generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class LshAttentionDiagnosticCases : FamilyDiagnosticCases
{
    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0013", Usings + Transformer + "[LshAttention(Heads = 4, [|BucketSize = 0|])]\npublic partial class TinyGpt;",
            "BucketSize = 0 is outside the supported range 1 to 65536; use a value in that range, for example BucketSize = 64" },
        { "XF0013", Usings + Transformer + "[LshAttention(Heads = 4, [|Rounds = -1|])]\npublic partial class TinyGpt;",
            "Rounds = -1 is outside the supported range 1 to 64; use a value in that range, for example Rounds = 2" },
        { "XF0072", Usings + Transformer + "[LshAttention(Heads = 4, [|BucketSize = 48|])]\npublic partial class TinyGpt;",
            "BucketSize = 48 does not divide MaxLength = 1024, so a full-length sequence cannot be cut into buckets of 48 positions; use BucketSize = 32 or 64, or MaxLength = 1056" },
        { "XF0073", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 192)]\n[LshAttention(Heads = 4, [|BucketSize = 64|])]\npublic partial class TinyGpt;",
            "MaxLength / BucketSize = 192 / 64 = 3 buckets, but hashing to argmax over [x·R; −x·R] makes an even number; use BucketSize = 48 or 96, or MaxLength = 256" },
    };

    public override IEnumerable<string> Valid => new[]
    {
        "[LshAttention(Heads = 4)] [FeedForward(Chunks = 8)] [Reversible]",
        "[LshAttention(Heads = 4, BucketSize = 32, Rounds = 8, Seed = 7)] [FullAttention(Heads = 4, Every = 2)] [Positions(Kind = PositionEncoding.Rotary)]",
    };

    public override TheoryData<string, string> Malformed => new()
    {
        { "LshAttention without Heads", U + T + "[LshAttention(BucketSize = 64)] public partial class M;" },
        { "LshAttention with wrong types", U + T + "[LshAttention(Heads = 4, BucketSize = 6.5, Rounds = true)] public partial class M;" },
        { "LshAttention with all sizes broken", U + T + "[LshAttention(Heads = 0, BucketSize = int.MinValue, Rounds = int.MaxValue)] public partial class M;" },
        { "LshAttention positional argument", U + T + "[LshAttention(4)] public partial class M;" },
    };
}
