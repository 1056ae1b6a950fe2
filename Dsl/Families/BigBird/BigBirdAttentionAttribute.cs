using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// BigBird attention (Zaheer et al., 2020, "Big Bird: Transformers for Longer Sequences"), at the granularity of
    /// blocks of <see cref="Block"/> tokens: each query block attends to a window of neighbouring blocks, to the global
    /// blocks, and to a few random blocks. The random layout is drawn at compile time from <see cref="Seed"/>: the same
    /// declaration always gives the same layout, and the generated kernel lists it (<c>Pattern.RandomBlocks</c>).
    /// <list type="bullet">
    /// <item>Window: causal, the <see cref="WindowBlocks"/> blocks ending at the query's own; bidirectional,
    /// WindowBlocks / 2 blocks on each side of it. A causal model also hides later keys of the query's own block.</item>
    /// <item>Global: the first <see cref="GlobalBlocks"/> blocks are seen by every query, and (bidirectional only; in a
    /// causal model later positions are their future) see every key.</item>
    /// <item>Random: each query block draws <see cref="RandomBlocks"/> blocks among the blocks before its window that are
    /// not global (fewer when fewer exist, as for the first blocks). Drawing from earlier blocks keeps the layout
    /// independent of the sequence length; a bidirectional model makes each random link two-way (block b sees block r
    /// and r sees b), so later blocks are reached as well.</item>
    /// </list>
    /// </summary>
    /// <example><c>[BigBirdAttention(Heads = 8, Block = 64, WindowBlocks = 3, GlobalBlocks = 2, RandomBlocks = 3, Seed = 42)]</c></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class BigBirdAttentionAttribute : AttentionAttribute
    {
        /// <summary>Required. Tokens per block; MaxLength must be a multiple of it. 64 matches the kernel's tiles.</summary>
        public int Block { get; set; }

        /// <summary>Blocks in each query's window (see the class remarks); 3 by default, BigBird's choice.</summary>
        public int WindowBlocks { get; set; } = BigBirdAttentionSpec.DefaultWindowBlocks;

        /// <summary>Leading global blocks; 2 by default, as BigBird-ITC.</summary>
        public int GlobalBlocks { get; set; } = BigBirdAttentionSpec.DefaultGlobalBlocks;

        /// <summary>Random blocks per query block; 3 by default, BigBird's choice.</summary>
        public int RandomBlocks { get; set; } = BigBirdAttentionSpec.DefaultRandomBlocks;

        /// <summary>The seed the random layout is drawn from at compile time; change it to draw another layout.</summary>
        public int Seed { get; set; }
    }
}
