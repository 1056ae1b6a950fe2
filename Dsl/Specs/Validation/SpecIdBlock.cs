using System;
using System.Globalization;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// A range of diagnostic IDs, <c>XF{First:0000}</c> to <c>XF{Last:0000}</c>, reserved for one owner's rules, so
    /// families added side by side never take the same ID.
    /// </summary>
    /// <param name="First">The first number of the range, e.g. 72 for XF0072.</param>
    /// <param name="Last">The last number of the range, inclusive.</param>
    public sealed record SpecIdBlock(int First, int Last)
    {
        /// <summary>True when <paramref name="id"/> (<c>XF00NN</c>) lies in this block.</summary>
        public bool Contains(string id) =>
            id.Length == 6 && id.StartsWith("XF", StringComparison.Ordinal)
            && int.TryParse(id.Substring(2), NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            && number >= First && number <= Last;

        /// <summary><c>XF0072–XF0079</c>.</summary>
        public override string ToString() =>
            "XF" + First.ToString("0000", CultureInfo.InvariantCulture) + "–XF" + Last.ToString("0000", CultureInfo.InvariantCulture);
    }
}
