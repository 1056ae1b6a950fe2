using System;
using System.Globalization;

namespace XformerDsl.Specs
{
    /// <summary>
    /// Culture-invariant text for the values in messages and generated code, so a build on a machine with a
    /// German or Turkish locale produces the same diagnostics and the same source.
    /// </summary>
    public static class SpecFormat
    {
        /// <summary>An integer, e.g. <c>-4</c>.</summary>
        public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// A double that round-trips, with a lowercase exponent: <c>0.1</c>, <c>1e-05</c>, <c>10000</c>, <c>NaN</c>.
        /// </summary>
        public static string Double(double value) =>
            value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");

        /// <summary>
        /// A double as a C# literal of type double that round-trips: <c>0.1</c>, <c>1e-05</c>, <c>10000.0</c>,
        /// <c>global::System.Double.NaN</c>.
        /// </summary>
        public static string DoubleLiteral(double value)
        {
            if (double.IsNaN(value))
                return "global::System.Double.NaN";
            if (double.IsPositiveInfinity(value))
                return "global::System.Double.PositiveInfinity";
            if (double.IsNegativeInfinity(value))
                return "global::System.Double.NegativeInfinity";
            var text = Double(value);
            return text.IndexOf('.') >= 0 || text.IndexOf('e') >= 0 ? text : text + ".0";
        }

        /// <summary>An int array as a C# expression: <c>new[] { 3, 7 }</c>, or <c>new int[0]</c> when empty.</summary>
        public static string IntArray(System.Collections.Generic.IEnumerable<int> values)
        {
            var items = string.Join(", ", System.Linq.Enumerable.Select(values, value => Int(value)));
            return items.Length == 0 ? "new int[0]" : "new[] { " + items + " }";
        }

        /// <summary>A C# bool literal.</summary>
        public static string Bool(bool value) => value ? "true" : "false";

        /// <summary>An enum member's name, or its number when the value is not a defined member.</summary>
        public static string Enum<TEnum>(TEnum value) where TEnum : struct, IConvertible =>
            System.Enum.IsDefined(typeof(TEnum), value)
                ? value.ToString()
                : value.ToInt32(CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }
}
