using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Parsing
{
    /// <summary>
    /// Reads the named arguments of one XformerDsl attribute application, totally: every read answers a value, a
    /// default, or "absent", and never throws. When the C# compiler already rejects the attribute (positional
    /// arguments, unknown names, mistyped or non-constant values, broken syntax) the reader marks itself
    /// <see cref="IsBroken"/> and the generator stays silent about it rather than stacking a second error on the first.
    /// </summary>
    internal sealed class AttributeArguments
    {
        private readonly Dictionary<string, TypedConstant> _values;
        private readonly Dictionary<string, LocationInfo?> _argumentLocations;
        private readonly List<DiagnosticInfo> _diagnostics;

        private AttributeArguments(string attributeName, LocationInfo? location, Dictionary<string, TypedConstant> values,
            Dictionary<string, LocationInfo?> argumentLocations, bool isBroken, List<DiagnosticInfo> diagnostics)
        {
            AttributeName = attributeName;
            Location = location;
            _values = values;
            _argumentLocations = argumentLocations;
            IsBroken = isBroken;
            _diagnostics = diagnostics;
        }

        /// <summary>The attribute's name as users write it, e.g. <c>Transformer</c>.</summary>
        public string AttributeName { get; }

        /// <summary>The whole attribute, e.g. <c>Transformer(Vocab = 256, …)</c>; where missing arguments are reported.</summary>
        public LocationInfo? Location { get; }

        /// <summary>The compiler reports an error in this attribute; its values cannot be trusted.</summary>
        public bool IsBroken { get; private set; }

        /// <summary>A required argument is missing (already reported).</summary>
        public bool IsIncomplete { get; private set; }

        /// <summary>True when the declaration writes the argument explicitly.</summary>
        public bool IsWritten(string name) => _values.ContainsKey(name);

        /// <summary>The location of a written argument (<c>Heads = 3</c>), else of the attribute.</summary>
        public LocationInfo? LocationOf(string argument) =>
            _argumentLocations.TryGetValue(argument, out var location) && location is not null ? location : Location;

        public static AttributeArguments Read(AttributeData attribute, string attributeName, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            bool broken = attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length > 0;

            var values = new Dictionary<string, TypedConstant>(StringComparer.Ordinal);
            foreach (var pair in attribute.NamedArguments)
            {
                if (pair.Value.Kind == TypedConstantKind.Error)
                    broken = true;
                else
                    values[pair.Key] = pair.Value;
            }

            var argumentLocations = new Dictionary<string, LocationInfo?>(StringComparer.Ordinal);
            foreach (var argument in syntax?.ArgumentList?.Arguments ?? default)
            {
                var name = argument.NameEquals?.Name.Identifier.ValueText;
                // Positional or unknown arguments are compile errors the compiler reports on its own.
                if (name is null || !values.ContainsKey(name) || argument.Expression.IsMissing)
                    broken = true;
                else
                    argumentLocations[name] = LocationInfo.From(argument);
            }

            return new AttributeArguments(attributeName, LocationInfo.From(syntax), values, argumentLocations, broken, diagnostics);
        }

        /// <summary>A required integer; reports <see cref="DiagnosticDescriptors.MissingRequiredArgument"/> when absent.</summary>
        public int? RequiredInt(string name, SizeLimit limit)
        {
            if (!_values.ContainsKey(name))
            {
                if (!IsBroken)   // with a broken attribute the "missing" argument is probably the broken one
                    _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredArgument, Location,
                        AttributeName, name, SpecFormat.Int(limit.Example)));
                IsIncomplete = true;
                return null;
            }
            return OptionalInt(name);
        }

        /// <summary>An optional integer, or null when absent (or mistyped, which marks the reader broken).</summary>
        public int? OptionalInt(string name) => Value<int>(name);

        /// <summary>An optional int array such as <c>Layers = new[] { 3, 7 }</c>; null when absent or written as null.</summary>
        public ImmutableEquatableArray<int>? IntArray(string name)
        {
            if (!_values.TryGetValue(name, out var constant) || constant.IsNull)
                return null;
            if (constant.Kind == TypedConstantKind.Array && constant.Values.All(value => value.Kind == TypedConstantKind.Primitive && value.Value is int))
                return constant.Values.Select(value => (int)value.Value!).ToImmutableEquatableArray();
            IsBroken = true;
            return null;
        }

        public bool Bool(string name, bool defaultValue) => Value<bool>(name) ?? defaultValue;

        /// <summary>An optional 64-bit integer, or null when absent (or mistyped, which marks the reader broken).</summary>
        public long? OptionalLong(string name) => Value<long>(name);

        public double Double(string name, double defaultValue) => Value<double>(name) ?? defaultValue;

        /// <summary>An enum argument; the value may be an undefined member such as <c>(Activation)42</c>, which the spec rules report.</summary>
        public TEnum Enum<TEnum>(string name, TEnum defaultValue) where TEnum : struct, Enum
        {
            if (!_values.TryGetValue(name, out var constant))
                return defaultValue;
            if (constant.Kind == TypedConstantKind.Enum && constant.Value is int number)
                return (TEnum)System.Enum.ToObject(typeof(TEnum), number);
            IsBroken = true;
            return defaultValue;
        }

        private T? Value<T>(string name) where T : struct
        {
            if (!_values.TryGetValue(name, out var constant))
                return null;
            if (constant.Kind == TypedConstantKind.Primitive && constant.Value is T value)
                return value;
            IsBroken = true;
            return null;
        }

        /// <summary>
        /// The attribute as the header restates it, on one line: its tokens only, so comments, <c>#if</c> branches the
        /// compiler skipped and other trivia never reach the generated comment (the parser already read the active ones).
        /// </summary>
        public static string Text(AttributeData attribute, CancellationToken cancellationToken)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax)
                return "[" + attribute.AttributeClass?.Name + "]";
            var withoutTrivia = syntax.ReplaceTrivia(syntax.DescendantTrivia(descendIntoTrivia: true), (_, _) => default);
            return "[" + OneLine(withoutTrivia.NormalizeWhitespace().ToFullString()) + "]";
        }

        /// <summary>Text with every C# line break (a verbatim string can hold one) replaced by a space.</summary>
        public static string OneLine(string text)
        {
            var chars = text.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
            {
                if (chars[i] is '\r' or '\n' or '\u0085' or '\u2028' or '\u2029')
                    chars[i] = ' ';
            }
            return new string(chars);
        }
    }
}
