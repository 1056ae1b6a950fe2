using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// <c>[FeedForward(Chunks = n)]</c> with n &gt; 1: the feed-forward network runs on pieces of MaxLength / n
    /// positions through the runtime's <c>SequenceChunks</c>, whose backward pass recomputes each piece's hidden
    /// activations instead of storing them for the whole sequence (Reformer's chunked feed-forward).
    /// </summary>
    internal sealed class ChunkedFeedForwardFeature : FrameFeature
    {
        public override bool AppliesTo(ModelSpec spec) => spec.FeedForward.Chunks > 1;

        public override bool RunsTheFeedForward => true;

        public override void EmitFeedForwardForward(SourceWriter writer, ModelSpec spec, string compute)
        {
            var ffn = spec.FeedForward;
            int chunkLength = ffn.ChunkLength(spec.MaxLength);
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x)");
            writer.OpenBlock();
            writer.WriteLine($"// Chunks = {SpecFormat.Int(ffn.Chunks)}: pieces of MaxLength / Chunks = {SpecFormat.Int(chunkLength)} positions, forward and backward; the backward");
            writer.WriteLine($"// pass recomputes each piece's [batch, {SpecFormat.Int(chunkLength)}, {SpecFormat.Int(ffn.Hidden)}] activations instead of storing them for the whole sequence.");
            writer.WriteLine($"return {Names.SequenceChunks}.Apply({compute}, x, chunkLength: {SpecFormat.Int(chunkLength)}, parameters());");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("// The network on one piece of the sequence (every position independently).");
        }
    }
}
