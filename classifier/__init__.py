"""detente's article tagger: tone (escalation / de-escalation / neutral + score) and topics.

The service depends only on `classifier.prediction` (values and the `ArticleClassifier`
protocol) and `classifier.artifact.load_classifier`. Modules by concern:

    taxonomy, prediction        fixed labels; input/output values
    text, features              sentence splitting; word/bigram counts and tf-idf
    article_features, aggregation, model
                                batch featurisation; sentence -> article features; the tagger
    article_level               whole articles: inputs, tone design, temperature (fitted on
                                labelled articles by training/article_fit)
    artifact, serving_weights   loading (skops with an explicit trusted-type list, or NumPy)
    training/                   everything that makes and judges a model (the service never
                                imports it): label_mapping, sources, corpus (readers, de-dup,
                                caps, split); fitting, thresholds, run (`python -m
                                classifier.training`); metrics, evaluation, dev_report,
                                baseline, seed_articles (reports and the TF-IDF+LR baseline);
                                saving (writes what artifact loads); labelled_articles,
                                article_fit, tone_report (the article level on labelled
                                articles); article_cv, natural_mix, reliability_plot (its
                                choice by grouped CV, the unlabelled mix, the diagram)
"""
