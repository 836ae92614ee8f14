//! `billfold giga ...`: plans, and the two commands that POST (subscribe, recharge).

use std::time::Duration;

use billfold::giga;
use billfold::giga::types::{NumberOrCustom, NumberOrUnlimited};
use billfold::runtime::ClientConfig;

use crate::table;
use crate::{EXIT_CONFIG, EXIT_FAILED, EXIT_OK};

fn client(timeout: Option<Duration>) -> Result<giga::Client, u8> {
    let mut config = ClientConfig::from_env(&giga::PROVIDER);
    if let Some(timeout) = timeout {
        config = config.timeout(timeout);
    }
    giga::Client::from_config(config).map_err(|e| {
        eprintln!("billfold: {e}");
        EXIT_CONFIG
    })
}

fn failed(error: giga::Error) -> u8 {
    eprintln!("billfold: {error}");
    EXIT_FAILED
}

fn custom_number(value: &NumberOrCustom) -> String {
    match value {
        NumberOrCustom::Number(n) => n.to_string(),
        NumberOrCustom::String(_) => "custom".to_owned(),
    }
}

/// `billfold giga plans`.
pub async fn plans(timeout: Option<Duration>) -> u8 {
    let client = match client(timeout) {
        Ok(client) => client,
        Err(code) => return code,
    };
    match client.list_plans().await {
        Ok(response) => {
            let rows: Vec<Vec<String>> = response
                .into_inner()
                .data
                .plans
                .iter()
                .map(|plan| {
                    vec![
                        plan.id.clone(),
                        plan.name.clone(),
                        custom_number(&plan.monthly_credits),
                        match &plan.concurrent_agents {
                            NumberOrUnlimited::Number(n) => n.to_string(),
                            NumberOrUnlimited::String(_) => "unlimited".to_owned(),
                        },
                        plan.max_duration_hours.to_string(),
                        custom_number(&plan.price),
                    ]
                })
                .collect();
            print!(
                "{}",
                table::render(
                    &[
                        "id",
                        "name",
                        "monthly credits",
                        "concurrent agents",
                        "max hours",
                        "price (USD)"
                    ],
                    &rows
                )
            );
            EXIT_OK
        }
        Err(error) => failed(error),
    }
}

/// `billfold giga subscribe PLAN`.
pub async fn subscribe(plan: &str, timeout: Option<Duration>) -> u8 {
    let client = match client(timeout) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let request = giga::types::SubscribeRequest {
        plan_id: plan.to_owned(),
    };
    match client.subscribe(&request).await {
        Ok(response) => {
            println!("{}", response.into_inner().data.checkout_url);
            EXIT_OK
        }
        Err(error) => failed(error),
    }
}

/// `billfold giga recharge AMOUNT`.
pub async fn recharge(amount: f64, timeout: Option<Duration>) -> u8 {
    let client = match client(timeout) {
        Ok(client) => client,
        Err(code) => return code,
    };
    match client
        .recharge(&giga::types::RechargeRequest { amount })
        .await
    {
        Ok(response) => {
            println!("{}", response.into_inner().data.checkout_url);
            EXIT_OK
        }
        Err(error) => failed(error),
    }
}
