extern alias generator;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using GeneratorSpecs = generator::XformerDsl.Specs;
using ParseResult = generator::XformerDsl.Generator.Model.ParseResult;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The model that flows through the incremental pipeline is plain data: no Roslyn symbol, syntax, location or
/// compilation anywhere in its object graph (they would pin whole compilations in the cache and break equality).
/// Walks every field type reachable from <see cref="ParseResult"/>, including every attention family.
/// </summary>
public class PipelineModelTests
{
    private static readonly Type[] s_forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxToken), typeof(SyntaxTree), typeof(SyntaxReference), typeof(Location),
        typeof(Compilation), typeof(SemanticModel), typeof(AttributeData), typeof(TypedConstant), typeof(DiagnosticDescriptor), typeof(Diagnostic),
    };

    /// <summary>Roslyn value types that are plain numbers and may appear in the model.</summary>
    private static readonly Type[] s_allowedForeign = { typeof(TextSpan), typeof(LinePositionSpan), typeof(LinePosition) };

    [Fact]
    public void Pipeline_model_holds_no_roslyn_objects()
    {
        var generatorAssembly = typeof(ParseResult).Assembly;
        var roots = new List<Type> { typeof(ParseResult) };
        // Abstract members of the model stand for their subclasses: walk every attention family too.
        roots.AddRange(generatorAssembly.GetTypes().Where(t => t.IsSubclassOf(typeof(GeneratorSpecs.AttentionSpec))));
        Assert.Contains(roots, t => t.Name == "FullAttentionSpec");

        var visited = new HashSet<Type>();
        var problems = new List<string>();
        foreach (var root in roots)
            Walk(root, root.Name, generatorAssembly, visited, problems);

        Assert.Empty(problems);
        Assert.Contains(visited, t => t.Name == "ModelSpec");
        Assert.Contains(visited, t => t.Name == "LocationInfo");
    }

    [Fact]
    public void Pipeline_model_types_have_value_equality()
    {
        var generatorAssembly = typeof(ParseResult).Assembly;
        var visited = new HashSet<Type>();
        Walk(typeof(ParseResult), nameof(ParseResult), generatorAssembly, visited, new List<string>());

        foreach (var type in visited.Where(t => t.Assembly == generatorAssembly && !t.IsEnum && !t.IsArray))
            Assert.True(type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>)),
                $"{type} has no value equality");
    }

    private static void Walk(Type type, string path, Assembly generatorAssembly, HashSet<Type> visited, List<string> problems)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            type = underlying;
        if (!visited.Add(type))
            return;
        if (s_forbidden.Any(forbidden => forbidden.IsAssignableFrom(type)))
        {
            problems.Add($"{path}: {type}");
            return;
        }
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || s_allowedForeign.Contains(type))
            return;
        if (type.IsArray)
        {
            Walk(type.GetElementType()!, path + "[]", generatorAssembly, visited, problems);
            return;
        }
        if (type.Assembly != generatorAssembly)
        {
            problems.Add($"{path}: {type} is not a known plain-data type");
            return;
        }
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
                Walk(argument, $"{path}<{argument.Name}>", generatorAssembly, visited, problems);
        }
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                Walk(field.FieldType, $"{path}.{field.Name}", generatorAssembly, visited, problems);
        }
    }
}
