namespace XformerDsl.Specs
{
    /// <summary>The supported ranges of the pattern families' integer arguments.</summary>
    public static class PatternLimits
    {
        /// <summary><see cref="LocalAttentionAttribute.Block"/>: 1 to 2^20.</summary>
        public static SizeLimit Block { get; } = new SizeLimit("LocalAttention", "Block", 1, 1 << 20, 64);

        /// <summary><see cref="LocalAttentionAttribute.Before"/>: 0 to 2^20.</summary>
        public static SizeLimit Before { get; } = new SizeLimit("LocalAttention", "Before", 0, 1 << 20, 1);

        /// <summary><see cref="LocalAttentionAttribute.After"/>: 0 to 2^20.</summary>
        public static SizeLimit After { get; } = new SizeLimit("LocalAttention", "After", 0, 1 << 20, 0);

        /// <summary><see cref="SlidingWindowAttentionAttribute.Window"/>: 1 to 2^20.</summary>
        public static SizeLimit Window { get; } = new SizeLimit("SlidingWindowAttention", "Window", 1, 1 << 20, 256);

        /// <summary><see cref="SlidingWindowAttentionAttribute.Dilation"/>: 1 to 2^20.</summary>
        public static SizeLimit Dilation { get; } = new SizeLimit("SlidingWindowAttention", "Dilation", 1, 1 << 20, 1);

        /// <summary><see cref="SlidingWindowAttentionAttribute.GlobalTokens"/>: 0 to 2^20.</summary>
        public static SizeLimit GlobalTokens { get; } = new SizeLimit("SlidingWindowAttention", "GlobalTokens", 0, 1 << 20, 0);

        /// <summary><see cref="SparseAttentionAttribute.Stride"/>: 1 to 2^20.</summary>
        public static SizeLimit Stride { get; } = new SizeLimit("SparseAttention", "Stride", 1, 1 << 20, 128);

        /// <summary><see cref="SparseAttentionAttribute.Summary"/>: 1 to Stride.</summary>
        public static SizeLimit Summary { get; } = new SizeLimit("SparseAttention", "Summary", 1, 1 << 20, 8);

        /// <summary>The largest divisor of <paramref name="length"/> not above <paramref name="limit"/>.</summary>
        internal static int LargestDivisorAtMost(int length, int limit)
        {
            for (int divisor = System.Math.Min(limit, length); divisor > 1; divisor--)
                if (length % divisor == 0)
                    return divisor;
            return 1;
        }

        /// <summary><see cref="BigBirdAttentionAttribute.WindowBlocks"/>: 1 to 2^20.</summary>
        public static SizeLimit WindowBlocks { get; } = new SizeLimit("BigBirdAttention", "WindowBlocks", 1, 1 << 20, 3);

        /// <summary><see cref="BigBirdAttentionAttribute.GlobalBlocks"/>: 0 to 2^20.</summary>
        public static SizeLimit GlobalBlocks { get; } = new SizeLimit("BigBirdAttention", "GlobalBlocks", 0, 1 << 20, 2);

        /// <summary><see cref="BigBirdAttentionAttribute.RandomBlocks"/>: 0 to 2^20.</summary>
        public static SizeLimit RandomBlocks { get; } = new SizeLimit("BigBirdAttention", "RandomBlocks", 0, 1 << 20, 3);

        /// <summary><see cref="AxialAttentionAttribute.Rows"/>: 1 to 2^20.</summary>
        public static SizeLimit Rows { get; } = new SizeLimit("AxialAttention", "Rows", 1, 1 << 20, 64);

        /// <summary><see cref="AxialAttentionAttribute.Columns"/>: 1 to 2^20.</summary>
        public static SizeLimit Columns { get; } = new SizeLimit("AxialAttention", "Columns", 1, 1 << 20, 64);

        /// <summary>XF0013 for <paramref name="value"/> outside <paramref name="limit"/>, at declaration <paramref name="index"/>; else null.</summary>
        internal static SpecProblem? Check(SizeLimit limit, int value, int index) =>
            limit.Contains(value) ? null : SpecValidation.RangeProblem(limit, value) with { AttentionIndex = index };
    }
}
