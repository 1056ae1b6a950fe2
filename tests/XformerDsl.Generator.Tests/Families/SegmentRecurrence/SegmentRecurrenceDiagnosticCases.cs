using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[SegmentRecurrence]</c> (Transformer-XL): its diagnostics at the offending argument, valid declarations, and broken
/// declarations the generator must survive. <see cref="FamilyDiagnosticTests"/> runs them.
/// </summary>
internal sealed class SegmentRecurrenceDiagnosticCases : FamilyDiagnosticCases
{
    private const string Encoder = Infrastructure.DiagnosticCases.Encoder;
    private const string Relative = "[Positions(Kind = PositionEncoding.Relative)]\n";
    private const string Xl = "[SegmentRecurrence(Heads = 4, Memory = 128)]\n";

    private const string NoMemoryForm =
        "[{0}] in a model with [SegmentRecurrence]: every layer keeps a memory of earlier segments and attends to it with relative positions, and [{0}] has no such form ({1}); declare [SegmentRecurrence] for every layer, or remove it";

    public override TheoryData<string, string, string> Cases => new()
    {
        { "XF0010", Usings + Transformer + "[[|SegmentRecurrence(Heads = 4)|]]\n" + Relative + "public partial class TinyXl;",
            "[SegmentRecurrence] needs Memory; add an argument such as 'Memory = 128'" },
        { "XF0013", Usings + Transformer + "[SegmentRecurrence(Heads = 4, [|Memory = 0|])]\n" + Relative + "public partial class TinyXl;",
            "Memory = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Memory = 128" },
        { "XF0013", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, [|ClampLength = -1|])]\n" + Relative + "public partial class TinyXl;",
            "ClampLength = -1 is outside the supported range 0 to 1048576; use a value in that range, for example ClampLength = 1000" },
        { "XF0140", Usings + Encoder + "[[|SegmentRecurrence(Heads = 4, Memory = 128)|]]\n" + Relative + "public partial class TinyXl;",
            "[SegmentRecurrence] in a bidirectional model: the memory holds earlier segments only, so a bidirectional query would see the whole of its own segment and none of the next, a context that changes with where the stream was cut; declare Causal = true on [Transformer] (a language model over a long stream), or use another attention family in an encoder" },
        { "XF0141", Usings + Transformer + Xl + "[[|FullAttention(Heads = 4, Every = 2)|]]\n" + Relative + "public partial class TinyXl;",
            string.Format(NoMemoryForm, "FullAttention", "its scores have no relative-position term, so memory keys would carry no position; [SegmentRecurrence] is full attention with one") },
        { "XF0141", Usings + Transformer + "[[|SlidingWindowAttention(Heads = 4, Window = 64, Layers = new[] { 0 })|]]\n" + Xl + Relative + "public partial class TinyXl;",
            string.Format(NoMemoryForm, "SlidingWindowAttention", "its keys are the segment's own, chosen by its pattern, projection or hashing over the segment alone") },
        { "XF0142", Usings + Transformer + Xl + "[Positions([|Kind = PositionEncoding.Rotary|])]\npublic partial class TinyXl;",
            "[SegmentRecurrence] with Positions.Kind = Rotary: absolute positions restart at every segment, so a memory position and a segment position would look alike; declare [Positions(Kind = PositionEncoding.Relative)], whose distances stay meaningful across segments" },
        { "XF0143", Usings + Transformer + A + "[Positions([|Kind = PositionEncoding.Relative|])]\npublic partial class TinyGpt;",
            "Positions.Kind = Relative in a model without [SegmentRecurrence]: relative positions are Transformer-XL's and computed inside its attention, which no other family has; declare [SegmentRecurrence(Heads = ..., Memory = ...)], or use PositionEncoding.Rotary for relative positions in the other families" },
        { "XF0144", Usings + Transformer + Xl + Relative + "[[|Reversible|]]\npublic partial class TinyXl;",
            "[SegmentRecurrence] with [Reversible]: the memory keeps each block's input, which reversible blocks do not store but reconstruct in the backward pass, and both would run the stack of blocks; remove [Reversible]" },
        { "XF0145", Usings + Transformer + "[Encoder(Depth = 2)]\n[FullAttention(Heads = 4, Stack = ModelStack.Encoder)]\n[[|SegmentRecurrence(Heads = 4, Memory = 128, Stack = ModelStack.Decoder)|]]\npublic partial class TinyXl;",
            "[SegmentRecurrence] in an encoder-decoder: segment memory belongs to a language model over one long stream, and neither stack of an encoder-decoder carries one; remove [Encoder], or use [FullAttention] in this stack" },
        { "XF0146", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, Layers = new[] { 0 })]\n[[|SegmentRecurrence(Heads = 2, Memory = 64)|]]\n" + Relative + "public partial class TinyXl;",
            "A second [SegmentRecurrence] in one model: the model keeps one memory, of one length, for all its layers; declare [SegmentRecurrence] once, for every layer" },
        { "XF0013", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, [|Compressed = -1|])]\n" + Relative + "public partial class TinyXl;",
            "Compressed = -1 is outside the supported range 0 to 1048576; use a value in that range, for example Compressed = 128" },
        { "XF0013", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 64, [|CompressionRatio = 0|])]\n" + Relative + "public partial class TinyXl;",
            "CompressionRatio = 0 is outside the supported range 1 to 1048576; use a value in that range, for example CompressionRatio = 4" },
        { "XF0150", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, [|CompressionRatio = 3|])]\n" + Relative + "public partial class TinyXl;",
            "CompressionRatio = 3 without Compressed: the compression settings describe the Compressive Transformer's second memory, and Compressed = 0 (the default) declares none; add Compressed = ... (the compressed slots each layer keeps, e.g. Compressed = 128), or remove CompressionRatio" },
        { "XF0150", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, [|Compression = CompressionFunction.MaxPool|])]\n" + Relative + "public partial class TinyXl;",
            "Compression = CompressionFunction.MaxPool without Compressed: the compression settings describe the Compressive Transformer's second memory, and Compressed = 0 (the default) declares none; add Compressed = ... (the compressed slots each layer keeps, e.g. Compressed = 128), or remove Compression" },
        { "XF0151", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 64, [|CompressionRatio = 3|])]\n" + Relative + "public partial class TinyXl;",
            "CompressionRatio = 3 does not divide Memory = 128: positions leave the memory 3 at a time, one compressed slot each, so with segments a multiple of 3 long a memory of 128 would never be exactly full and would hold up to 3 − 1 positions more; use a CompressionRatio that divides 128 (2 or 4) or a Memory that is a multiple of 3" },
        { "XF0152", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 64, [|SameLength = true|])]\n" + Relative + "public partial class TinyXl;",
            "SameLength = true with Compressed = 64: every query would see only the Memory keys ending at itself, so no query would ever see a compressed slot, which lie before the memory; remove SameLength, or Compressed" },
        { "XF0153", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 64, CompressionRatio = 1, [|Compression = CompressionFunction.MeanPool|])]\n" + Relative + "public partial class TinyXl;",
            "Compression = CompressionFunction.MeanPool with CompressionRatio = 1: a pool of one position is that position, so the compressed memory would only be a longer memory; use CompressionRatio = 2 or more (the paper uses 3 or 4), or a longer Memory instead" },
        { "XF0154", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 64, [|ReconstructionWeight = 0|])]\n" + Relative + "public partial class TinyXl;",
            "ReconstructionWeight = 0 with Compression = CompressionFunction.Convolution: the reconstruction loss is the convolution's only training signal (the language model's loss does not reach it: compressed slots are stored without gradient), so it would never learn; use a finite weight of 0 or more (the paper's is 1), and more than 0 for a convolution" },
        { "XF0154", Usings + Transformer + "[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 64, Compression = CompressionFunction.MaxPool, [|ReconstructionWeight = -0.5|])]\n" + Relative + "public partial class TinyXl;",
            "ReconstructionWeight = -0.5 with Compression = CompressionFunction.MaxPool: a negative weight would train the compression to lose what attention reads; use a finite weight of 0 or more (the paper's is 1), and more than 0 for a convolution" },
    };

    public override IEnumerable<string> Valid =>
    [
        "[SegmentRecurrence(Heads = 4, Memory = 128)] [Positions(Kind = PositionEncoding.Relative)]",
        "[SegmentRecurrence(Heads = 8, Memory = 1024, ClampLength = 256, SameLength = true)] [Positions(Kind = PositionEncoding.Relative)] [Normalization(Kind = NormKind.RmsNorm, Placement = NormPlacement.Post)]",
        "[SegmentRecurrence(Heads = 2, Memory = 1)] [Positions(Kind = PositionEncoding.Relative)] [FeedForward(Hidden = 512, Activation = Activation.SwiGlu, Chunks = 4)]",
        "[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 128, CompressionRatio = 4)] [Positions(Kind = PositionEncoding.Relative)]",
        "[SegmentRecurrence(Heads = 4, Memory = 96, Compressed = 32, CompressionRatio = 3, Compression = CompressionFunction.MaxPool, ReconstructionWeight = 0, ClampLength = 512)] [Positions(Kind = PositionEncoding.Relative)] [Normalization(Kind = NormKind.RmsNorm, Placement = NormPlacement.Post)]",
        "[SegmentRecurrence(Heads = 2, Memory = 1, Compressed = 1, CompressionRatio = 1)] [Positions(Kind = PositionEncoding.Relative)] [FeedForward(Hidden = 512, Chunks = 4)]",
    ];

    public override TheoryData<string, string> Malformed => new()
    {
        { "SegmentRecurrence without Heads", U + T + "[SegmentRecurrence(Memory = 64)] public partial class M;" },
        { "SegmentRecurrence with wrong types", U + T + "[SegmentRecurrence(Heads = 4, Memory = 6.5, SameLength = 1)] public partial class M;" },
        { "SegmentRecurrence with all sizes broken", U + T + "[SegmentRecurrence(Heads = 0, Memory = int.MinValue, ClampLength = int.MaxValue)] [Positions(Kind = (PositionEncoding)9)] public partial class M;" },
        { "SegmentRecurrence positional argument", U + T + "[SegmentRecurrence(4)] public partial class M;" },
        { "SegmentRecurrence with broken compression", U + T + "[SegmentRecurrence(Heads = 4, Memory = 0, Compressed = int.MaxValue, CompressionRatio = int.MinValue, Compression = (CompressionFunction)7, ReconstructionWeight = double.NaN, SameLength = true)] public partial class M;" },
        { "SegmentRecurrence compression of a wrong type", U + T + "[SegmentRecurrence(Heads = 4, Memory = 64, Compressed = 8, Compression = 2, ReconstructionWeight = \"1\")] public partial class M;" },
        { "SegmentRecurrence bidirectional, reversible, absolute", U + Encoder + "[SegmentRecurrence(Heads = 4, Memory = 64)] [Reversible] [LshAttention(Heads = 4, Layers = new[] { 1 })] public partial class M;" },
    };
}
