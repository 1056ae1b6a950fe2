using System;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// Which (query tile, key tile) pairs a softmax family visits and which of them need masking: the only part of a
    /// fused softmax kernel that differs between families. Each emits statements into the kernel's loops, in terms of
    /// the loop variables the kernel declares (<c>queryStart</c>, <c>rows</c>, <c>keyStart</c>, <c>keyTiles</c>,
    /// <c>queryTiles</c>, <c>tile</c>).
    /// </summary>
    internal abstract class SoftmaxSchedule
    {
        /// <summary>One phrase for comments and the kernel's description, e.g. <c>causal full attention</c>.</summary>
        public abstract string Description { get; }

        /// <summary>The call that computes the same attention from TorchSharp ops.</summary>
        public abstract string ReferenceCall { get; }

        /// <summary>
        /// The call that computes the same attention with a score bias <c>scoreBias</c> from TorchSharp ops (query and key
        /// null for a bias-only kernel); null for a schedule that offers no bias. A schedule that offers one visits, for
        /// each key tile, one contiguous range of query tiles (the default <see cref="EmitQueryTileLoop"/>): the kernel
        /// writes the bias gradient of those tiles and clears the rows outside the range, and nothing else.
        /// </summary>
        public virtual string? ScoreBiasReferenceCall => null;

        /// <summary>
        /// The call that computes the same attention with Transformer-XL's relative positions from TorchSharp ops (query,
        /// key, value, contentBias, positionBias, positions, keyPaddingMask in scope); null for a schedule that offers none.
        /// </summary>
        public virtual string? RelativeReferenceCall => null;

        /// <summary>0, or the number of keys each query sees, ending at its own position (a relative kernel's <c>Window</c>).</summary>
        public virtual int Window => 0;

        /// <summary>
        /// In a kernel with a score bias, after <see cref="EmitQueryTileRange"/>: zeroes the bias gradient of the query
        /// rows the key tile's range leaves out, through <paramref name="clear"/>(args, bh, firstQuery, endQuery, keyStart,
        /// keyCount), since the kernel writes that gradient whole rather than have it zero-filled first.
        /// </summary>
        public virtual void EmitClearSkippedBiasGradient(SourceWriter writer, string clear)
        {
            EmitClearRowsBeforeRange(writer, clear, "zeros where this key tile skips query tiles.");
            writer.WriteLine($"{clear}(g, bh, global::System.Math.Min(a.Queries, (lastQueryTile + 1) * QueryTile), a.Queries, keyStart, keyCount);");
        }

        /// <summary>Clears the bias gradient of the query rows before the key tile's first query tile, after a comment naming why.</summary>
        protected static void EmitClearRowsBeforeRange(SourceWriter writer, string clear, string why)
        {
            writer.WriteLine("// The bias gradient is written whole, never zero-filled first: " + why);
            writer.WriteLine($"{clear}(g, bh, 0, firstQueryTile * QueryTile, keyStart, keyCount);");
        }

        /// <summary>Members of the kernel class the schedule's statements use, such as a block layout's constant arrays.</summary>
        public virtual void EmitMembers(SourceWriter writer) { }

        /// <summary>Declares what the key-tile loop of the query tile at <c>queryStart</c> needs (its range of key tiles).</summary>
        public abstract void EmitKeyTileRange(SourceWriter writer);

        /// <summary>Opens the loop over the query tile's key tiles; inside it, <c>keyTile</c> is the key tile's index.</summary>
        public virtual void EmitKeyTileLoop(SourceWriter writer)
        {
            writer.WriteLine("for (int keyTile = firstKeyTile; keyTile <= lastKeyTile; keyTile++)");
            writer.OpenBlock();
        }

        /// <summary>Declares what the query-tile loop of the key tile at <c>keyStart</c> needs (its range of query tiles).</summary>
        public abstract void EmitQueryTileRange(SourceWriter writer);

        /// <summary>Opens the loop over the key tile's query tiles; inside it, <c>queryTile</c> is the query tile's index.</summary>
        public virtual void EmitQueryTileLoop(SourceWriter writer)
        {
            writer.WriteLine("for (int queryTile = firstQueryTile; queryTile <= lastQueryTile; queryTile++)");
            writer.OpenBlock();
        }

        /// <summary>Masks the score tile of the current pair, beyond the key-padding mask every family applies.</summary>
        /// <param name="writer">Where the statements go.</param>
        /// <param name="backward">True inside the backward pass's loops, false inside the forward pass's.</param>
        public abstract void EmitPatternMask(SourceWriter writer, bool backward);
    }
}
