using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;
using XformerDsl.Modules;
using XformerDsl.Specs;
using Xunit;

namespace XformerDsl.Tests.Models;

/// <summary>
/// The model card counts what the module holds, for every model declared anywhere in these tests (every family, head,
/// stack and sharing mode the tests declare), so a family's own parameters, shared or pooled, cannot be left out of the
/// card or counted twice without this failing. One test for all, instead of one per family.
/// </summary>
public class DeclaredModelCardTests
{
    public static TheoryData<string> DeclaredModels()
    {
        var names = new TheoryData<string>();
        foreach (var type in s_declared.Keys.Order(StringComparer.Ordinal))
            names.Add(type);
        return names;
    }

    // Every generated model class of this assembly a user could create: IDeclaredModel with a parameterless constructor
    // (an encoder-decoder's nested Decoder takes the encoder's embedding and is counted by its outer model).
    private static readonly Dictionary<string, Type> s_declared = typeof(DeclaredModelCardTests).Assembly.GetTypes()
        .Where(t => typeof(IDeclaredModel).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null
            && t.DeclaringType is null)
        .ToDictionary(t => t.FullName!, t => t);

    [Fact]
    public void The_tests_declare_models_of_many_families()
    {
        var families = s_declared.Values
            .SelectMany(t => SpecOf(t).Attention.Select(a => a.Attention.AttributeName))
            .Distinct().Count();
        Assert.True(families >= 10, $"only {families} attention families found among the declared test models");
    }

    [Theory]
    [MemberData(nameof(DeclaredModels))]
    public void Card_parameter_count_equals_the_parameters_the_module_holds(string name)
    {
        torch.manual_seed(0);
        using var module = (nn.Module)Activator.CreateInstance(s_declared[name])!;
        var parameters = module.named_parameters().ToList();
        Assert.Equal(ModelCard.Of(((IDeclaredModel)module).Declaration).ParameterCount, parameters.Sum(p => p.parameter.numel()));
        // Every parameter once: a shared or tied matrix is one tensor under one name.
        Assert.Equal(parameters.Count, parameters.Select(p => p.name).Distinct().Count());
    }

    // The generated static Spec of a model class: its declaration, without building the model.
    private static ModelSpec SpecOf(Type type) =>
        (ModelSpec)type.GetProperty("Spec", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}
