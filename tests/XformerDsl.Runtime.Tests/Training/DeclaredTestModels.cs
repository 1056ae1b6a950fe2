using TorchSharp;
using TorchSharp.Modules;
using XformerDsl.Modules;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>
/// A masked language model small enough to train in a test: each position's logits from its own embedding and its two
/// neighbours' (a bidirectional context of one token each side). Declared as an encoder with a masked-language-model head.
/// Counts the mask tokens it is given.
/// </summary>
internal sealed class NeighbourMaskedModel : nn.Module<Tensor, Tensor>, IDeclaredModel
{
    private readonly Embedding tok_emb;
    private readonly Linear head;

    public NeighbourMaskedModel(int vocab, int maskToken, int dim = 16) : base(nameof(NeighbourMaskedModel))
    {
        Declaration = Models.TinyEncoder.Spec with { Name = nameof(NeighbourMaskedModel), Vocab = vocab, Head = new MaskedLanguageModelHeadSpec(maskToken) };
        tok_emb = nn.Embedding(vocab, dim);
        head = nn.Linear(3 * dim, vocab);
        RegisterComponents();
    }

    public ModelSpec Declaration { get; }

    public long MaskTokensSeen { get; private set; }

    public long TokensSeen { get; private set; }

    public override Tensor forward(Tensor ids)
    {
        MaskTokensSeen += ids.eq(((MaskedLanguageModelHeadSpec)Declaration.Head!).MaskToken).sum().item<long>();
        TokensSeen += ids.numel();
        var x = tok_emb.forward(ids);                                        // [batch, seq, dim]
        var context = torch.cat([x.roll(1, 1), x, x.roll(-1, 1)], dim: 2);   // [batch, seq, 3·dim]
        return head.forward(context);
    }
}

/// <summary>A classifier: token embeddings, a ReLU layer, the mean over real tokens, a linear layer to the class logits.</summary>
internal sealed class MeanPoolClassifier : nn.Module<Tensor, Tensor>, ISequenceModel
{
    private readonly Embedding tok_emb;
    private readonly Linear hidden, head;

    public MeanPoolClassifier(int vocab, int classes, int maxLength, int dim = 16) : base(nameof(MeanPoolClassifier))
    {
        Declaration = Models.TinyEncoder.Spec with
        {
            Name = nameof(MeanPoolClassifier), Vocab = vocab, MaxLength = maxLength, Head = new ClassificationHeadSpec(classes, Pooling.Mean),
        };
        tok_emb = nn.Embedding(vocab, dim);
        hidden = nn.Linear(dim, dim);
        head = nn.Linear(dim, classes);
        RegisterComponents();
    }

    public ModelSpec Declaration { get; }

    public override Tensor forward(Tensor tokens) => forward(tokens, null);

    public Tensor forward(Tensor tokens, Tensor? keyPaddingMask)
    {
        var features = nn.functional.relu(hidden.forward(tok_emb.forward(tokens)));   // [batch, seq, dim]
        var real = (keyPaddingMask ?? ones_like(tokens, ScalarType.Bool)).unsqueeze(2).to(features.dtype);
        var pooled = (features * real).sum(1) / real.sum(1);                            // [batch, dim]
        return head.forward(pooled);
    }
}
