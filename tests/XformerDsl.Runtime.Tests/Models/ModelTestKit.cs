using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>Creates the tiny test models by name, seeded, in eval mode and float64 (so equality checks are exact).</summary>
internal static class ModelTestKit
{
    public static readonly string[] All = { nameof(TinyGpt2), nameof(TinyLlama), nameof(TinyEncoder), nameof(TinyNoBias), nameof(TinyTiedWithDropout), nameof(TinyHybrid) };

    public static nn.Module<Tensor, Tensor> Create(string name)
    {
        torch.manual_seed(1234);
        nn.Module<Tensor, Tensor> model = name switch
        {
            nameof(TinyGpt2) => new TinyGpt2(),
            nameof(TinyLlama) => new TinyLlama(),
            nameof(TinyEncoder) => new TinyEncoder(),
            nameof(TinyNoBias) => new TinyNoBias(),
            nameof(TinyTiedWithDropout) => new TinyTiedWithDropout(),
            nameof(TinyHybrid) => new TinyHybrid(),
            _ => throw new ArgumentException(name),
        };
        model.to(float64);
        model.eval();
        return model;
    }

    public static Specs.ModelSpec Spec(string name) => name switch
    {
        nameof(TinyGpt2) => TinyGpt2.Spec,
        nameof(TinyLlama) => TinyLlama.Spec,
        nameof(TinyEncoder) => TinyEncoder.Spec,
        nameof(TinyNoBias) => TinyNoBias.Spec,
        nameof(TinyTiedWithDropout) => TinyTiedWithDropout.Spec,
        nameof(TinyHybrid) => TinyHybrid.Spec,
        _ => throw new ArgumentException(name),
    };

    public static ModelCard Card(string name) => name switch
    {
        nameof(TinyGpt2) => TinyGpt2.Card,
        nameof(TinyLlama) => TinyLlama.Card,
        nameof(TinyEncoder) => TinyEncoder.Card,
        nameof(TinyNoBias) => TinyNoBias.Card,
        nameof(TinyTiedWithDropout) => TinyTiedWithDropout.Card,
        nameof(TinyHybrid) => TinyHybrid.Card,
        _ => throw new ArgumentException(name),
    };

    /// <summary>Calls the two-argument forward of whichever generated model this is.</summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor tokens, Tensor? keyPaddingMask) => model switch
    {
        TinyGpt2 m => m.forward(tokens, keyPaddingMask),
        TinyLlama m => m.forward(tokens, keyPaddingMask),
        TinyEncoder m => m.forward(tokens, keyPaddingMask),
        TinyNoBias m => m.forward(tokens, keyPaddingMask),
        TinyTiedWithDropout m => m.forward(tokens, keyPaddingMask),
        TinyHybrid m => m.forward(tokens, keyPaddingMask),
        _ => throw new ArgumentException(model.GetType().Name),
    };

    /// <summary>Any generated model, seeded, in float64 and eval mode, as <see cref="Create(string)"/> makes the named ones.</summary>
    public static T Create<T>(Func<T> create) where T : nn.Module
    {
        torch.manual_seed(1234);
        var model = create();
        model.to(float64);
        model.eval();
        return model;
    }

    public static Tensor RandomTokens(long batch, long seq, long vocab, int seed)
    {
        torch.manual_seed(seed);
        return randint(vocab, new[] { batch, seq }, dtype: int64);
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in All)
            data.Add(name);
        return data;
    }
}
