using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>The smallest language model: a table of next-token logits indexed by the current token.</summary>
internal sealed class BigramLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding table;

    public BigramLanguageModel(int vocabulary) : base(nameof(BigramLanguageModel))
    {
        table = nn.Embedding(vocabulary, vocabulary);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => table.forward(ids);
}

/// <summary>Embedding, LayerNorm, linear head: parameters of every kind the weight-decay policy tells apart.</summary>
internal sealed class TinyLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tok_emb;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public TinyLanguageModel(int vocabulary, int dim) : base(nameof(TinyLanguageModel))
    {
        tok_emb = nn.Embedding(vocabulary, dim);
        norm = nn.LayerNorm(dim);
        head = nn.Linear(dim, vocabulary);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => head.forward(norm.forward(tok_emb.forward(ids)));
}

/// <summary>
/// A parameter-free model that predicts "the next id is this id + 1 (mod vocab)" and records the input lengths it was given.
/// </summary>
internal sealed class SuccessorSpyModel(int vocabulary) : nn.Module<Tensor, Tensor>(nameof(SuccessorSpyModel))
{
    public List<long> InputLengths { get; } = [];

    public override Tensor forward(Tensor ids)
    {
        InputLengths.Add(ids.shape[1]);
        return nn.functional.one_hot((ids + 1) % vocabulary, vocabulary).to(ScalarType.Float32) * 10;
    }
}

/// <summary>A bigram model whose logits have overflowed, as a diverging run's do.</summary>
internal sealed class OverflowingLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding table;

    public OverflowingLanguageModel(int vocabulary) : base(nameof(OverflowingLanguageModel))
    {
        table = nn.Embedding(vocabulary, vocabulary);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => table.forward(ids) * float.PositiveInfinity;
}
