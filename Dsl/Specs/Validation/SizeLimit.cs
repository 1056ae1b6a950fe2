namespace XformerDsl.Specs
{
    /// <summary>The supported range of one integer argument.</summary>
    /// <param name="Attribute">The attribute that declares the argument (<c>Attention</c> stands for any attention attribute).</param>
    /// <param name="Argument">The argument name.</param>
    /// <param name="Min">Smallest supported value.</param>
    /// <param name="Max">Largest supported value.</param>
    /// <param name="Example">A typical value, suggested in messages.</param>
    public sealed record SizeLimit(string Attribute, string Argument, int Min, int Max, int Example)
    {
        /// <summary>True when <paramref name="value"/> is within [Min, Max].</summary>
        public bool Contains(int value) => value >= Min && value <= Max;
    }
}
